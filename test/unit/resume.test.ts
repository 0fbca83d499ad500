// resumePlan: what `ferry job resume` runs, given the job's newest run. Table-driven, no server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatJobId, JOB_ID_PREFIX } from '../../common/ids.js';
import { failedIndexRanges, failuresComplete, resumePlan, type ResumeFacts } from '../../common/resume.js';
import type { MigrationInput, MigrationReport, ObjectFailure } from '../../common/schemas.js';

const input: MigrationInput = {
  source: { kind: 'template', baseUrl: 'http://h/', template: 'o-{000..999}.bin' },
  destination: 'file:///tmp/b',
  options: { maxConns: 8, batchSize: 10, window: 2, skipExisting: false, sync: true },
  carry: {
    cursor: 500,
    totals: { copied: 1, skipped: 0, failed: 0, bytes: 1 },
    failures: [],
    failedRanges: [],
    startedAtMs: 0,
    runs: 3,
    maxHistoryEvents: 10,
    paused: false,
    stopRequested: false,
  },
};

const failure = (index: number, name = `o-${index}`): ObjectFailure => ({
  index,
  name,
  type: 'SourceNotFound',
  message: '404',
  retryable: false,
});

function report(over: Partial<MigrationReport>): MigrationReport {
  return {
    state: 'completed',
    source: 's',
    destination: 'd',
    total: 1000,
    totals: { copied: 1000, skipped: 0, failed: 0, bytes: 1 },
    failures: [],
    failedRanges: [],
    durationMs: 1,
    runs: 1,
    maxHistoryEvents: 1,
    cursor: 1000,
    ...over,
  };
}

const withFailures = (failures: ObjectFailure[], failedRanges: [number, number][], failed: number) =>
  report({
    state: 'completed-with-failures',
    totals: { copied: 1000 - failed, skipped: 0, failed, bytes: 1 },
    failures,
    failedRanges,
  });

describe('resumePlan', () => {
  it('unpauses a running job (paused or not)', () => {
    assert.deepEqual(resumePlan({ status: 'RUNNING', input }), { action: 'unpause' });
  });

  it('does nothing for a job that completed without failures', () => {
    const plan = resumePlan({ status: 'COMPLETED', input, report: report({}) });
    assert.equal(plan.action, 'nothing');
  });

  it('retries exactly the failed indexes of a job that completed with failures', () => {
    const r = withFailures([failure(7), failure(3), failure(4)], [[900, 905]], 8);
    const plan = resumePlan({ status: 'COMPLETED', input, report: r });
    assert.equal(plan.action, 'restart');
    if (plan.action !== 'restart') return;
    assert.equal(plan.mode, 'failed-only');
    assert.equal(plan.objects, 8);
    assert.deepEqual(plan.input.options?.onlyIndexes, [
      [3, 5],
      [7, 8],
      [900, 905],
    ]);
    assert.equal(plan.input.options?.skipExisting, false);
    assert.equal(plan.input.options?.maxConns, 8, 'other options kept');
    assert.equal(plan.input.carry, undefined, 'a new run starts without carried state');
    assert.equal(plan.note, 'retrying the 8 failed objects');
  });

  const skipExistingCases: [string, ResumeFacts][] = [
    ['stopped', { status: 'COMPLETED', input, report: report({ state: 'stopped' }) }],
    ['failed', { status: 'FAILED', input }],
    ['terminated', { status: 'TERMINATED', input }],
    ['timed out', { status: 'TIMED_OUT', input }],
    [
      'completed with failures only counted (not all known by index)',
      { status: 'COMPLETED', input, report: withFailures([failure(1)], [], 5) },
    ],
    [
      'completed with failures in more ranges than an input may carry',
      {
        status: 'COMPLETED',
        input,
        report: withFailures(
          [],
          Array.from({ length: 10_001 }, (_, i): [number, number] => [2 * i, 2 * i + 1]),
          10_001,
        ),
      },
    ],
  ];
  for (const [what, facts] of skipExistingCases) {
    it(`walks the whole job with --skip-existing when ${what}`, () => {
      const prev: MigrationInput = { ...input, options: { ...input.options, onlyIndexes: [[1, 2]] } };
      const plan = resumePlan({ ...facts, input: prev });
      assert.equal(plan.action, 'restart');
      if (plan.action !== 'restart') return;
      assert.equal(plan.mode, 'skip-existing');
      assert.equal(plan.input.options?.skipExisting, true);
      assert.equal(plan.input.options?.onlyIndexes, undefined, 'the whole job, not a previous subset');
      assert.equal(plan.input.carry, undefined);
      assert.equal(plan.input.options?.sync, true, 'other options kept');
      assert.match(plan.note, /skip-existing/);
    });
  }

  it('refuses a closed job whose input cannot be read', () => {
    assert.deepEqual(resumePlan({ status: 'FAILED', input: undefined }), {
      action: 'refuse',
      reason: 'cannot read its input from history',
    });
  });

  it('does not touch the previous input', () => {
    const before = JSON.stringify(input);
    resumePlan({ status: 'COMPLETED', input, report: withFailures([failure(1)], [], 1) });
    resumePlan({ status: 'FAILED', input });
    assert.equal(JSON.stringify(input), before);
  });
});

describe('failuresComplete / failedIndexRanges', () => {
  it('counts #<index> entries but not group entries as known', () => {
    const group = { ...failure(0), name: '#batch 0-9' };
    assert.equal(failuresComplete(withFailures([group], [], 1)), false);
    assert.equal(failuresComplete(withFailures([{ ...failure(4), name: '#4' }], [], 1)), true);
    assert.equal(failuresComplete(report({})), false, 'no failures: nothing to retry');
  });
  it('merges touching ranges', () => {
    assert.deepEqual(failedIndexRanges(withFailures([failure(2), failure(1)], [[3, 6]], 5)), [[1, 6]]);
  });
});

describe('job IDs', () => {
  it('are the kind prefix and 10 hex digits', () => {
    assert.equal(formatJobId('download', new Uint8Array([0, 1, 0xab, 0xff, 0x10])), 'dnl-0001abff10');
    assert.equal(formatJobId('migrate', new Uint8Array(5)), 'mig-0000000000');
    assert.deepEqual(Object.values(JOB_ID_PREFIX), ['dnl', 'pre', 'mig']);
    assert.throws(() => formatJobId('prefetch', new Uint8Array(4)), RangeError);
  });
});
