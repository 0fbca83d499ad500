import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, errors as undiciErrors, request } from 'undici';

import { ErrorType, NON_RETRYABLE_TYPES, isRetryableType } from '../../common/errors.js';
import {
  FerryError,
  classifyError,
  httpStatusError,
  redactUrl,
  toApplicationFailure,
} from '../../lib/classify-error.js';

/** An errno-style error as node:fs and node:net raise them. */
function errno(code: string, message = `${code}: simulated`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

interface ClassifyCase {
  what: string;
  err: unknown;
  type: ErrorType;
  retryable: boolean;
  /** The classified message must contain this. */
  message?: string;
}

const classifyCases: ClassifyCase[] = [
  // undici's own error classes: callers branch on their stable `code`.
  {
    what: 'undici connect timeout',
    err: new undiciErrors.ConnectTimeoutError(),
    type: ErrorType.NetworkError,
    retryable: true,
    message: 'UND_ERR_CONNECT_TIMEOUT',
  },
  {
    what: 'undici headers timeout',
    err: new undiciErrors.HeadersTimeoutError(),
    type: ErrorType.NetworkError,
    retryable: true,
    message: 'UND_ERR_HEADERS_TIMEOUT',
  },
  {
    what: 'undici body timeout',
    err: new undiciErrors.BodyTimeoutError(),
    type: ErrorType.NetworkError,
    retryable: true,
    message: 'UND_ERR_BODY_TIMEOUT',
  },
  {
    what: 'undici socket error',
    err: new undiciErrors.SocketError('other side closed'),
    type: ErrorType.NetworkError,
    retryable: true,
    message: 'UND_ERR_SOCKET: other side closed',
  },
  {
    what: 'undici request aborted',
    err: new undiciErrors.RequestAbortedError(),
    type: ErrorType.NetworkError,
    retryable: true,
  },
  {
    what: 'undici client closed',
    err: new undiciErrors.ClientClosedError(),
    type: ErrorType.NetworkError,
    retryable: true,
  },
  {
    what: 'undici informational (request reset)',
    err: new undiciErrors.InformationalError('reset'),
    type: ErrorType.NetworkError,
    retryable: true,
  },
  {
    what: 'undici response shorter/longer than Content-Length',
    err: new undiciErrors.ResponseContentLengthMismatchError(),
    type: ErrorType.LengthMismatch,
    retryable: true,
  },
  {
    what: 'undici request body length mismatch',
    err: new undiciErrors.RequestContentLengthMismatchError(),
    type: ErrorType.LengthMismatch,
    retryable: true,
  },
  // Node socket errnos.
  ...['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].map(
    (code): ClassifyCase => ({
      what: code,
      err: errno(code),
      type: ErrorType.NetworkError,
      retryable: true,
      message: code,
    }),
  ),
  ...['EAI_AGAIN', 'ENOTFOUND'].map((code): ClassifyCase => ({
    what: `DNS ${code}`,
    err: errno(code),
    type: ErrorType.NetworkError,
    retryable: true,
  })),
  // Destination filesystem.
  {
    what: 'ENOSPC',
    err: errno('ENOSPC', 'ENOSPC: no space left on device, write'),
    type: ErrorType.DestinationFull,
    retryable: false,
    message: 'out of space',
  },
  { what: 'EDQUOT', err: errno('EDQUOT'), type: ErrorType.DestinationFull, retryable: false },
  {
    what: 'EACCES',
    err: errno('EACCES', "EACCES: permission denied, open '/b/x'"),
    type: ErrorType.DestinationForbidden,
    retryable: false,
    message: 'permission denied',
  },
  { what: 'EPERM', err: errno('EPERM'), type: ErrorType.DestinationForbidden, retryable: false },
  { what: 'EROFS', err: errno('EROFS'), type: ErrorType.DestinationForbidden, retryable: false },
  { what: 'ENAMETOOLONG', err: errno('ENAMETOOLONG'), type: ErrorType.InvalidName, retryable: false },
  // S3-shaped errors carry the status in $metadata.
  {
    what: 'S3 403',
    err: Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    }),
    type: ErrorType.DestinationForbidden,
    retryable: false,
  },
  {
    what: 'S3 401',
    err: Object.assign(new Error('no'), { $metadata: { httpStatusCode: 401 } }),
    type: ErrorType.DestinationForbidden,
    retryable: false,
  },
  {
    what: 'S3 503',
    err: Object.assign(new Error('Slow Down'), { $metadata: { httpStatusCode: 503 } }),
    type: ErrorType.DestinationUnavailable,
    retryable: true,
  },
  // Ferry's own errors keep their type; retryability comes from the vocabulary.
  {
    what: 'FerryError SourceNotFound',
    err: new FerryError(ErrorType.SourceNotFound, 'gone'),
    type: ErrorType.SourceNotFound,
    retryable: false,
    message: 'gone',
  },
  {
    what: 'FerryError LengthMismatch',
    err: new FerryError(ErrorType.LengthMismatch, 'short'),
    type: ErrorType.LengthMismatch,
    retryable: true,
  },
  {
    what: 'FerryError InvalidName',
    err: new FerryError(ErrorType.InvalidName, 'bad'),
    type: ErrorType.InvalidName,
    retryable: false,
  },
  // Unknown: transient by design (bounded retries are cheaper than a wrongly failed object).
  {
    what: 'plain Error',
    err: new Error('something odd'),
    type: ErrorType.DestinationUnavailable,
    retryable: true,
    message: 'something odd',
  },
  {
    what: 'unknown errno EIO',
    err: errno('EIO', 'i/o error'),
    type: ErrorType.DestinationUnavailable,
    retryable: true,
    message: 'EIO: i/o error',
  },
  {
    what: 'thrown string',
    err: 'just a string',
    type: ErrorType.DestinationUnavailable,
    retryable: true,
    message: 'just a string',
  },
  { what: 'thrown undefined', err: undefined, type: ErrorType.DestinationUnavailable, retryable: true },
  { what: 'thrown null', err: null, type: ErrorType.DestinationUnavailable, retryable: true },
];

describe('classifyError', () => {
  for (const c of classifyCases) {
    it(c.what, () => {
      const got = classifyError(c.err);
      assert.equal(got.type, c.type);
      assert.equal(got.retryable, c.retryable);
      assert.equal(typeof got.message, 'string');
      if (c.message !== undefined) assert.ok(got.message.includes(c.message), `message: ${got.message}`);
    });
  }

  it('retryable always agrees with the vocabulary (isRetryableType)', () => {
    for (const c of classifyCases) {
      const got = classifyError(c.err);
      assert.equal(got.retryable, isRetryableType(got.type), c.what);
    }
  });

  it('classifies a real connection refusal from undici as NetworkError', async (t) => {
    // Bind then close a listener: the port is known to be free and refusing.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const agent = new Agent();
    t.after(() => agent.close());
    const err = await request(`http://127.0.0.1:${port}/x`, { dispatcher: agent }).then(
      () => assert.fail('request to a closed port succeeded'),
      (e: unknown) => e,
    );
    const got = classifyError(err);
    assert.equal(got.type, ErrorType.NetworkError);
    assert.equal(got.retryable, true);
    assert.match(got.message, /ECONNREFUSED/);
  });

  it('classifies an origin speaking garbage (HTTP parser error) as NetworkError', async (t) => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('data', () => s.end('THIS IS NOT HTTP\r\n\r\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    const agent = new Agent();
    t.after(() => agent.close());
    const port = (server.address() as AddressInfo).port;
    const err = await request(`http://127.0.0.1:${port}/x`, { dispatcher: agent }).then(
      () => assert.fail('garbage parsed as HTTP'),
      (e: unknown) => e,
    );
    const got = classifyError(err);
    // An origin problem must never be reported as a destination problem.
    assert.equal(
      got.type,
      ErrorType.NetworkError,
      `${(err as Error).name} ${(err as { code?: string }).code}`,
    );
    assert.equal(got.retryable, true);
  });

  it('classifies real filesystem errors from node:fs', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-errors-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'f');
    await writeFile(file, 'x');
    // Writing "under" a regular file: ENOTDIR, an unknown code → transient destination failure.
    const enotdir = await writeFile(path.join(file, 'child'), 'y').then(
      () => assert.fail('wrote under a file'),
      (e: unknown) => e,
    );
    assert.equal((enotdir as NodeJS.ErrnoException).code, 'ENOTDIR');
    assert.equal(classifyError(enotdir).type, ErrorType.DestinationUnavailable);
    // A 300-byte path segment exceeds NAME_MAX (255) on every Linux filesystem.
    const toolong = await writeFile(path.join(dir, 'n'.repeat(300)), 'y').then(
      () => assert.fail('wrote a 300-byte name'),
      (e: unknown) => e,
    );
    assert.deepEqual(
      { type: classifyError(toolong).type, retryable: classifyError(toolong).retryable },
      { type: ErrorType.InvalidName, retryable: false },
    );
  });
});

describe('httpStatusError', () => {
  const cases: [status: number, type: ErrorType, retryable: boolean][] = [
    [404, ErrorType.SourceNotFound, false],
    [410, ErrorType.SourceNotFound, false],
    [401, ErrorType.SourceForbidden, false],
    [403, ErrorType.SourceForbidden, false],
    [408, ErrorType.SourceUnavailable, true],
    [429, ErrorType.SourceUnavailable, true],
    [500, ErrorType.SourceUnavailable, true],
    [502, ErrorType.SourceUnavailable, true],
    [503, ErrorType.SourceUnavailable, true],
    [504, ErrorType.SourceUnavailable, true],
    [400, ErrorType.SourceRejected, false],
    [405, ErrorType.SourceRejected, false],
    [416, ErrorType.SourceRejected, false],
    [451, ErrorType.SourceRejected, false],
  ];
  for (const [status, type, retryable] of cases) {
    it(`${status} → ${type}${retryable ? ' (retryable)' : ''}`, () => {
      const err = httpStatusError(status, 'http://h/x.tar');
      assert.ok(err instanceof FerryError);
      assert.equal(err.type, type);
      assert.equal(err.retryable, retryable);
      assert.match(err.message, new RegExp(`^GET http://h/x\\.tar: (unexpected status )?${status}\\b`));
      // classifyError passes it through unchanged.
      assert.deepEqual(classifyError(err), { type, retryable, message: err.message });
    });
  }

  it('never puts credentials from the URL in the message', () => {
    const err = httpStatusError(404, 'http://user:hunter2@h/x.tar?X-Amz-Signature=deadbeef');
    assert.doesNotMatch(err.message, /hunter2|deadbeef|user/);
  });
});

describe('toApplicationFailure', () => {
  it('maps a non-retryable error to a nonRetryable ApplicationFailure of its type', () => {
    const f = toApplicationFailure(errno('ENOSPC'));
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, ErrorType.DestinationFull);
    assert.equal(f.nonRetryable, true);
  });
  it('maps a transient error to a retryable ApplicationFailure', () => {
    const f = toApplicationFailure(new undiciErrors.SocketError('reset'));
    assert.equal(f.type, ErrorType.NetworkError);
    assert.equal(f.nonRetryable, false);
  });
  it('passes an ApplicationFailure through', () => {
    const orig = ApplicationFailure.create({ type: 'X', message: 'm', nonRetryable: true });
    assert.equal(toApplicationFailure(orig), orig);
  });
  it('every non-retryable type is non-retryable in the vocabulary and vice versa', () => {
    for (const type of Object.values(ErrorType))
      assert.equal(isRetryableType(type), !NON_RETRYABLE_TYPES.includes(type), type);
  });
});

describe('redactUrl', () => {
  const cases: [input: string, want: string][] = [
    ['http://h/x.tar', 'http://h/x.tar'],
    ['https://h:8443/a/b%20c.tar', 'https://h:8443/a/b%20c.tar'],
    // userinfo
    ['http://user:hunter2@h/x', 'http://***@h/x'],
    ['http://user@h/x', 'http://***@h/x'],
    ['http://:hunter2@h/x', 'http://***@h/x'],
    // pre-signed URLs: AWS, GCS, Azure SAS
    [
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250101&X-Amz-Signature=abcdef&X-Amz-Security-Token=tok',
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***',
    ],
    [
      'https://storage.googleapis.com/b/o?X-Goog-Credential=sa%40p&X-Goog-Signature=00ff',
      'https://storage.googleapis.com/b/o?X-Goog-Credential=***&X-Goog-Signature=***',
    ],
    [
      'https://a.blob.core.windows.net/c/b?sv=2020&sp=r&sig=SECRET',
      'https://a.blob.core.windows.net/c/b?sv=2020&sp=r&sig=***',
    ],
    // common token-ish names, any case
    ['http://h/x?access_token=T&page=2', 'http://h/x?access_token=***&page=2'],
    ['http://h/x?API_KEY=k', 'http://h/x?API_KEY=***'],
    ['http://h/x?apikey=k', 'http://h/x?apikey=***'],
    ['http://h/x?client_secret=s', 'http://h/x?client_secret=***'],
    ['http://h/x?password=p', 'http://h/x?password=***'],
    ['http://h/x?auth=firebase-id-token', 'http://h/x?auth=***'],
    // both at once
    ['http://u:p@h/x?token=t&v=1', 'http://***@h/x?token=***&v=1'],
    // not a URL at all: nothing of it may leak
    ['not a url with secret', '<invalid url>'],
    ['', '<invalid url>'],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.equal(redactUrl(input), want));
  }
});
