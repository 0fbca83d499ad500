import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { CLIError, EXIT, GrpcStatus, noteServerAddress, reportError } from '../../client/errors.js';

/** What reportError prints (its stderr lines) and returns. */
function report(err: unknown): { lines: string[]; code: number } {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    return { code: reportError(err), lines };
  } finally {
    console.error = orig;
  }
}

/** The shape of a Temporal client ServiceError around a gRPC error (recognised by name and code). */
const serviceError = (code: number, details: string) => {
  const cause = Object.assign(new Error(`${code} ${details}`), { code, details });
  return Object.assign(new Error('Failed to query workflow'), { name: 'ServiceError', cause });
};

describe('reportError', () => {
  it('a server lost mid-command: one line naming the address it connected to and what to do, exit 1', () => {
    noteServerAddress('127.0.0.1:17233');
    const { lines, code } = report(serviceError(GrpcStatus.UNAVAILABLE, 'Connection dropped\n  at stack'));
    assert.equal(code, EXIT.error);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0]!,
      /^ferry: cannot reach the Temporal server at 127\.0\.0\.1:17233: Connection dropped — check that it is running \(`ferry server status`\)/,
    );
  });
  it('other server errors: one line each, with their documented codes', () => {
    assert.match(report(serviceError(GrpcStatus.RESOURCE_EXHAUSTED, 'too big')).lines[0]!, /too large: too big$/);
    assert.match(report(serviceError(GrpcStatus.DEADLINE_EXCEEDED, 'slow')).lines[0]!, /did not answer in time/);
    assert.deepEqual(report(new CLIError('bad template')), { code: EXIT.usage, lines: ['ferry: bad template'] });
    const plain = report(new Error('first line\nsecond line'));
    assert.deepEqual(plain, { code: EXIT.error, lines: ['ferry: first line'] });
  });
});
