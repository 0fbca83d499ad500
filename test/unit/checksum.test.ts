// The hashers of --checksum against published check values, incrementally and in one piece, and the CRC
// combination parallel ranges rely on, against the hashers themselves on random splits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  ChecksumAlgos,
  combineCrc,
  createHasher,
  formatChecksum,
  fromBase64,
  hasRecordedChecksum,
  parseChecksum,
  recorded,
  toBase64,
  type ChecksumAlgo,
} from '../../lib/checksum.js';
import { storedChecksum } from '../../lib/buckets/s3-checksum.js';

/** Check values of "123456789" (the CRC catalogue's, RFC 1321's and FIPS 180's) and of the empty input. */
const VECTORS: Record<Exclude<ChecksumAlgo, 'none'>, { check: string; empty: string }> = {
  crc32c: { check: 'e3069283', empty: '00000000' },
  crc64nvme: { check: 'ae8b14860a799888', empty: '0000000000000000' },
  sha256: {
    check: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
    empty: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  md5: { check: '25f9e794323b453885f5181f1b624d0b', empty: 'd41d8cd98f00b204e9800998ecf8427e' },
};

async function digestOf(algo: ChecksumAlgo, pieces: Uint8Array[]): Promise<string> {
  const h = await createHasher(algo);
  for (const p of pieces) h.update(p);
  return h.digest();
}

describe('checksum hashers', () => {
  for (const [algo, v] of Object.entries(VECTORS) as [ChecksumAlgo, { check: string; empty: string }][]) {
    it(`${algo}: check value, empty input, and byte-by-byte equals one piece`, async () => {
      const data = Buffer.from('123456789');
      assert.equal(await digestOf(algo, [data]), v.check);
      assert.equal(await digestOf(algo, []), v.empty);
      assert.equal(
        await digestOf(
          algo,
          [...data].map((b) => Uint8Array.of(b)),
        ),
        v.check,
      );
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const whole = await digestOf(algo, [big]);
      assert.equal(await digestOf(algo, [big.subarray(0, 1000), big.subarray(1000)]), whole);
    });
  }

  it('none computes nothing and records nothing', async () => {
    assert.equal(await digestOf('none', [Buffer.from('x')]), '');
    assert.deepEqual(recorded('none', ''), {});
  });

  for (const algo of ['crc32c', 'crc64nvme'] as const) {
    it(`${algo}: combineCrc(crc(A), crc(B), len(B)) = crc(A‖B) on random splits`, async () => {
      const data = randomBytes(1 << 20);
      const whole = await digestOf(algo, [data]);
      for (const cut of [0, 1, 7, 4096, 333_333, data.length - 1, data.length]) {
        const a = await digestOf(algo, [data.subarray(0, cut)]);
        const b = await digestOf(algo, [data.subarray(cut)]);
        assert.equal(combineCrc(algo, a, b, data.length - cut), whole, `cut at ${cut}`);
      }
      // Four ranges folded left to right, as ranged-get does.
      const q = data.length / 4;
      let acc = await digestOf(algo, [data.subarray(0, q)]);
      for (let i = 1; i < 4; i++)
        acc = combineCrc(algo, acc, await digestOf(algo, [data.subarray(i * q, (i + 1) * q)]), q);
      assert.equal(acc, whole);
    });
  }
});

describe('checksum records', () => {
  it('format, parse and the S3 base64 form round-trip; malformed records are none', () => {
    assert.equal(formatChecksum('crc32c', 'e3069283'), 'crc32c:e3069283');
    assert.deepEqual(parseChecksum('crc32c:e3069283'), { algo: 'crc32c', hex: 'e3069283' });
    for (const bad of ['crc32c:e30692', 'none:', 'crc99:00', 'sha256:xyz', '', undefined])
      assert.equal(parseChecksum(bad), undefined, String(bad));
    assert.equal(toBase64('e3069283'), '4waSgw==');
    assert.equal(fromBase64('4waSgw==', 'crc32c'), 'e3069283');
    assert.equal(fromBase64('4waSgw==-3', 'crc32c'), undefined); // a composite of 3 parts
    assert.equal(
      storedChecksum({ ChecksumCRC32C: '4waSgw==', ChecksumType: 'FULL_OBJECT' }),
      'crc32c:e3069283',
    );
    assert.equal(storedChecksum({ ChecksumSHA256: 'AAAA', ChecksumType: 'COMPOSITE' }), undefined);
  });

  it('sha256 is recorded in both fields (what older releases read); others in `checksum` only', () => {
    assert.deepEqual(recorded('sha256', 'ab'.repeat(32)), {
      checksum: `sha256:${'ab'.repeat(32)}`,
      sha256: 'ab'.repeat(32),
    });
    assert.deepEqual(recorded('md5', 'cd'.repeat(16)), { checksum: `md5:${'cd'.repeat(16)}` });
  });

  it('a commit is vouched for by any recorded checksum, or by none under --checksum none', () => {
    assert.ok(hasRecordedChecksum({ sha256: 'ab'.repeat(32) }, 'crc32c')); // an attempt on an older release
    assert.ok(hasRecordedChecksum({ checksum: 'crc32c:e3069283' }, 'sha256'));
    assert.ok(!hasRecordedChecksum({}, 'crc32c'));
    assert.ok(hasRecordedChecksum({}, 'none'));
    assert.deepEqual([...ChecksumAlgos], ['crc32c', 'crc64nvme', 'sha256', 'md5', 'none']);
  });
});
