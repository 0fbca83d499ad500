// Pure pieces of the S3/AIStore destinations: template membership for --sync, metadata on the wire, the commit
// guard, multipart planning, and how S3 and AIStore answers map onto ferry's error vocabulary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorType } from '../../common/errors.js';
import { parseTemplate } from '../../common/template.js';
import { aisError } from '../../lib/buckets/ais.js';
import { partPlan } from '../../lib/buckets/s3.js';
import { fromHeaderSafe, guardCommit, headerSafe, metaFromWire, metaToWire } from '../../lib/buckets/wire.js';
import { classifyError } from '../../lib/classify-error.js';
import { sourceMatcher, templateIndexOf } from '../../lib/source-names.js';

describe('templateIndexOf: a name is in the template iff the expansion has it, at that index', () => {
  const templates: [string, { start: number; end: number; step: number }?][] = [
    ['shard-{001..120}.tar'],
    ['shard-{1..120}.tar'], // unpadded: "1" and "10" both match the digits
    ['x-{0010..0111..3}-y-{a,b,ab}'],
    ['{1..12}{1..12}'], // adjacent ranges: only backtracking finds "111" = 1,11 and 11,1
    ['d@0042/o@003.bin'],
    ['p-%04d.bin', { start: 5, end: 40, step: 5 }],
    ['plain-name.txt'],
    ['{a,ab}{b,bb}'],
  ];
  for (const [text, fmt] of templates) {
    it(text, () => {
      const t = parseTemplate(text, fmt ? { fmt } : {});
      const all = [...t.names()];
      all.forEach((n, i) => {
        // Names may repeat in a superset form ({1..12}{1..12}: "111"); the match is some index naming it.
        const idx = templateIndexOf(t, n);
        assert.ok(idx !== undefined, `${n} matches`);
        assert.equal(t.nameAt(idx), n);
        if (all.indexOf(n) === i && all.lastIndexOf(n) === i) assert.equal(idx, i, `${n} at ${i}`);
      });
      const names = new Set(all);
      for (const n of [
        '',
        'x',
        `${all[0]}x`,
        `x${all[0]}`,
        all[0]!.replace(/\d/, '9'),
        'shard-000.tar',
        'shard-0001.tar',
      ])
        assert.equal(templateIndexOf(t, n) !== undefined, names.has(n), `"${n}"`);
    });
  }
  it('sourceMatcher takes a list as is', () => {
    const m = sourceMatcher({ names: ['a', 'b/c'], maxNames: 10 });
    assert.deepEqual(['a', 'b/c', 'b', 'c'].map(m), [true, true, false, false]);
  });
  it('a 10-million-name template answers without expanding', () => {
    const m = sourceMatcher({ template: 'shard-{0000000..9999999}.tar', maxNames: 10_000_000 });
    assert.equal(m('shard-9999999.tar'), true);
    assert.equal(m('shard-10000000.tar'), false);
  });
});

describe('metadata on the wire', () => {
  it('round-trips, non-ASCII included, and cuts an over-long source URL', () => {
    const meta = {
      sourceUrl: `http://h/${'x'.repeat(3000)}`,
      sourceEtag: '"abc"',
      sourceLastModified: 'Wed, 25 Nov 2026 12:00:00 GMT',
      jobId: 'job-ü-1',
    };
    const wire = metaToWire(meta);
    assert.deepEqual(Object.keys(wire).sort(), [
      'ferry-job-id',
      'ferry-source-etag',
      'ferry-source-last-modified',
      'ferry-source-url',
    ]);
    for (const v of Object.values(wire)) assert.match(v, /^[\x20-\x7e]*$/);
    assert.ok(wire['ferry-source-url']!.length <= 1027);
    const back = metaFromWire(Object.fromEntries(Object.entries(wire).map(([k, v]) => [k.toUpperCase(), v])));
    assert.equal(back.jobId, 'job-ü-1');
    assert.equal(back.sourceEtag, '"abc"');
    assert.equal(back.sourceLastModified, meta.sourceLastModified);
  });
  it('encodes only what needs it, and what looks encoded', () => {
    assert.equal(headerSafe('plain value'), 'plain value');
    for (const v of ['ü', 'a\nb', '=?UTF-8?B?eA==?=', '']) assert.equal(fromHeaderSafe(headerSafe(v)), v);
  });
});

describe('guardCommit', () => {
  const collect = async (r: Readable): Promise<Buffer> => {
    const out: Buffer[] = [];
    for await (const c of r) out.push(c as Buffer);
    return Buffer.concat(out);
  };
  it('passes every byte through once the check passed, the last chunk only after it', async () => {
    let checked = false;
    let lastBeforeCheck = -1;
    let seen = 0;
    const chunks = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')];
    const g = guardCommit(
      Readable.from(chunks),
      () => {
        lastBeforeCheck = seen;
        checked = true;
      },
      () => assert.fail('no error expected'),
    );
    g.on('data', (c: Buffer) => (seen += c.length));
    const all = await collect(g);
    assert.equal(all.toString(), 'abcdef');
    assert.ok(checked);
    assert.equal(lastBeforeCheck, 4, 'the consumer had 4 of 6 bytes when the check ran');
  });
  it('on a failed check: reports it once, never ends, never emits error', async () => {
    const errs: unknown[] = [];
    const g = guardCommit(
      Readable.from([Buffer.from('abc'), Buffer.from('def')]),
      () => {
        throw new Error('short body');
      },
      (e) => errs.push(e),
    );
    let ended = false;
    let errored = false;
    g.on('end', () => (ended = true));
    g.on('error', () => (errored = true));
    g.resume();
    await until(() => errs.length > 0);
    assert.equal(errs.length, 1);
    assert.match(String(errs[0]), /short body/);
    assert.equal(ended, false);
    assert.equal(errored, false);
    assert.ok(g.destroyed);
  });
  it('on a source error: reports it, and destroying the guard destroys the source', async () => {
    const errs: unknown[] = [];
    const src = new Readable({ read() {} });
    const g = guardCommit(
      src,
      () => undefined,
      (e) => errs.push(e),
    );
    g.resume();
    src.push(Buffer.from('x'));
    src.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    await until(() => errs.length > 0);
    assert.equal((errs[0] as { code?: string }).code, 'UND_ERR_SOCKET');
    const src2 = new Readable({ read() {} });
    guardCommit(
      src2,
      () => undefined,
      () => undefined,
    ).destroy();
    assert.ok(src2.destroyed);
  });
});

describe('partPlan', () => {
  const MiB = 1024 * 1024;
  const cases: [string, number | undefined, number, number][] = [
    ['unknown size', undefined, 16 * MiB, 4],
    ['1 GiB', 1024 * MiB, 16 * MiB, 4],
    ['fits 10,000 parts exactly', 160_000 * MiB, 16 * MiB, 4],
    ['5 TiB: parts grow, buffers shrink to the budget', 5 * 1024 * 1024 * MiB, 525 * MiB, 1],
    ['300 GiB', 300 * 1024 * MiB, 31 * MiB, 2],
  ];
  for (const [what, size, partSize, queueSize] of cases)
    it(what, () =>
      assert.deepEqual(partPlan(size, { partSize: 16 * MiB, queueSize: 4 }), { partSize, queueSize }),
    );
});

describe('destination errors', () => {
  const s3 = (name: string, status?: number, message = 'x') =>
    Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
  const cases: [string, unknown, ErrorType, boolean][] = [
    ['no credentials at all', s3('CredentialsProviderError'), ErrorType.DestinationForbidden, false],
    ['bad secret', s3('SignatureDoesNotMatch', 403), ErrorType.DestinationForbidden, false],
    ['HEAD 403 has no code', s3('Forbidden', 403, 'UnknownError'), ErrorType.DestinationForbidden, false],
    ['bucket gone', s3('NoSuchBucket', 404), ErrorType.DestinationNotFound, false],
    ['metadata too large', s3('MetadataTooLarge', 400), ErrorType.DestinationRejected, false],
    ['slow body', s3('RequestTimeout', 400), ErrorType.DestinationUnavailable, true],
    ['bytes damaged', s3('XAmzContentChecksumMismatch', 400), ErrorType.DestinationUnavailable, true],
    ['upload aborted meanwhile', s3('NoSuchUpload', 404), ErrorType.DestinationUnavailable, true],
    // Seen in CI: a partition mid-PUT, answered by MinIO once the link came back.
    [
      'connection broke mid-PUT (MinIO)',
      s3('ClientDisconnected', 499),
      ErrorType.DestinationUnavailable,
      true,
    ],
    ['499 without a code', s3('Http499', 499), ErrorType.DestinationUnavailable, true],
    ['throttled', s3('SlowDown', 503), ErrorType.DestinationUnavailable, true],
    ['MinIO full', s3('XMinioStorageFull', 507), ErrorType.DestinationFull, false],
    ['connect timeout', s3('TimeoutError'), ErrorType.DestinationUnavailable, true],
    ['AIS 401', aisError(401, '', 'PUT'), ErrorType.DestinationForbidden, false],
    [
      'AIS bucket missing',
      aisError(404, '{"tcode":"ErrBckNotFound","message":"bucket \\"ais://x\\" does not exist"}', 'PUT'),
      ErrorType.DestinationNotFound,
      false,
    ],
    [
      'AIS bad checksum',
      aisError(500, '{"tcode":"ErrBadCksum","message":"BAD DATA CHECKSUM"}', 'PUT'),
      ErrorType.DestinationUnavailable,
      true,
    ],
    ['AIS 503', aisError(503, 'starting up', 'PUT'), ErrorType.DestinationUnavailable, true],
    [
      'AIS bad name',
      aisError(400, '{"message":"invalid name"}', 'PUT'),
      ErrorType.DestinationRejected,
      false,
    ],
  ];
  for (const [what, err, type, retryable] of cases)
    it(what, () => {
      const c = classifyError(err);
      assert.equal(c.type, type);
      assert.equal(c.retryable, retryable);
    });
  it('keeps the S3 code in the message when the SDK has only "UnknownError"', () => {
    assert.equal(classifyError(s3('Forbidden', 403, 'UnknownError')).message, 'Forbidden: HTTP 403');
  });
});

/** Poll until `cond` holds (an event has been seen), with a bound for a loaded machine. */
async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`condition not met in ${timeoutMs} ms`);
    await sleep(5);
  }
}
