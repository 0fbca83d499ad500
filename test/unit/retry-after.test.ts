// Retry-After as an origin may send it (RFC 9110 §10.2.3), and which statuses honour it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorType } from '../../common/errors.js';
import {
  MAX_RETRY_AFTER_MS,
  classifyError,
  httpStatusError,
  parseRetryAfter,
} from '../../lib/classify-error.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cases: [string | undefined, number | undefined][] = [
    ['2', 2000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past: no wait beyond the usual backoff
    ['86400', MAX_RETRY_AFTER_MS],
    ['-1', undefined],
    ['soon', undefined],
    [undefined, undefined],
  ];
  for (const [v, want] of cases)
    test(`${JSON.stringify(v)} → ${want}`, () => assert.equal(parseRetryAfter(v, now), want));
});

describe('httpStatusError with Retry-After', () => {
  test('429 and 503 carry it, transient', () => {
    for (const s of [429, 503]) {
      const c = classifyError(httpStatusError(s, 'http://o/x', '3'));
      assert.equal(c.type, ErrorType.SourceUnavailable);
      assert.equal(c.retryable, true);
      assert.equal(c.retryAfterMs, 3000);
    }
  });
  test('other statuses ignore it', () => {
    assert.equal(classifyError(httpStatusError(500, 'http://o/x', '3')).retryAfterMs, undefined);
    assert.equal(classifyError(httpStatusError(404, 'http://o/x', '3')).retryAfterMs, undefined);
  });
});
