// `job schedule create`'s options as a Temporal schedule (client/schedule-spec.ts), and the IDs of schedules
// and their runs (common/ids.ts): checked before anything connects, each refusal one CLIError (exit 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleIdProblem, scheduledRunOf } from '../../common/ids.js';
import { CLIError } from '../../client/errors.js';
import { overlapName, overlapOf, scheduleParts, timeOf } from '../../client/schedule-spec.js';

test('schedule spec: intervals, cron, policies, state from the options', () => {
  const p = scheduleParts({ every: '1h30m', offset: '5m', jitter: '30s', note: 'n', paused: true });
  assert.deepEqual(p.spec, { intervals: [{ every: 5_400_000, offset: 300_000 }], jitter: 30_000 });
  assert.deepEqual(p.policies, { overlap: 'SKIP', pauseOnFailure: false });
  assert.deepEqual(p.state, { paused: true, note: 'n' });
  assert.equal(p.specText, 'every 1h30m offset 5m');
  const c = scheduleParts({
    cron: ['0 2 * * *', '@hourly'],
    timezone: 'Europe/Paris',
    overlap: 'buffer-one',
    catchupWindow: '1d',
  });
  assert.deepEqual(c.spec, { cronExpressions: ['0 2 * * *', '@hourly'], timezone: 'Europe/Paris' });
  assert.deepEqual(c.policies, { overlap: 'BUFFER_ONE', catchupWindow: 86_400_000, pauseOnFailure: false });
  assert.equal(c.specText, "cron '0 2 * * *' Europe/Paris + cron '@hourly' Europe/Paris");
  assert.equal(scheduleParts({ every: '1d' }).spec.intervals?.[0]?.every, 86_400_000);
});

test('schedule spec: each bad option is one CLIError naming it', () => {
  const cases: [Parameters<typeof scheduleParts>[0], RegExp][] = [
    [{}, /give --every <duration>/],
    [{ every: '5x' }, /invalid --every "5x"/],
    [{ every: '' }, /invalid --every ""/],
    [{ every: '500ms' }, /invalid --every/],
    [{ every: '0s' }, /--every 0s is too short/],
    [{ offset: '1m', cron: ['@daily'] }, /--offset needs --every/],
    [{ every: '1m', offset: '1m' }, /--offset 1m must be shorter than --every 1m/],
    [{ cron: ['* * *'] }, /invalid --cron "\* \* \*": use 5 fields/],
    [{ every: '1h', timezone: 'Mars/Olympus' }, /invalid --timezone "Mars\/Olympus"/],
    [{ every: '1h', overlap: 'sometimes' }, /invalid --overlap "sometimes": use one of skip, buffer-one/],
    [{ every: '1h', startAt: 'tomorrow' }, /invalid --start-at "tomorrow"/],
    [{ every: '1h', startAt: '2026-01-02', endAt: '2026-01-01' }, /--end-at must be later than --start-at/],
    [{ every: '1h', catchupWindow: '1s' }, /--catchup-window 1s is too short: at least 10s/],
  ];
  for (const [o, re] of cases)
    assert.throws(
      () => scheduleParts(o),
      (e: unknown) => e instanceof CLIError && e.code === 2 && re.test(e.message),
      JSON.stringify(o),
    );
});

test('overlap names and times', () => {
  assert.equal(overlapOf('terminate-other'), 'TERMINATE_OTHER');
  assert.equal(overlapName('BUFFER_ALL'), 'buffer-all');
  assert.equal(overlapName(undefined), 'skip');
  const now = Date.parse('2026-11-30T12:00:00Z');
  assert.equal(timeOf('--start', 'now-1h', now).toISOString(), '2026-11-30T11:00:00.000Z');
  assert.equal(timeOf('--start', 'now', now).toISOString(), '2026-11-30T12:00:00.000Z');
  assert.equal(timeOf('--start', '2026-11-30T10:00:00Z').toISOString(), '2026-11-30T10:00:00.000Z');
  assert.equal(timeOf('--start', '2026-11-30').toISOString(), '2026-11-30T00:00:00.000Z');
});

test('schedule IDs and the job IDs of their runs', () => {
  for (const ok of ['nightly', 'shards-sync', 'A.b_c-1', 'x'.repeat(100)])
    assert.equal(scheduleIdProblem(ok), undefined, ok);
  for (const bad of ['', '-x', 'a/b', 'a b', 'é', 'x'.repeat(101), '..'])
    assert.match(scheduleIdProblem(bad) ?? '', /invalid schedule ID/, bad);
  assert.deepEqual(scheduledRunOf('shards-sync-2026-11-30T11:38:00Z'), {
    scheduleId: 'shards-sync',
    at: '2026-11-30T11:38:00Z',
  });
  assert.equal(scheduledRunOf('dnl-0a1b2c3d4e'), undefined);
  assert.equal(scheduledRunOf('-2026-11-30T11:38:00Z'), undefined);
});
