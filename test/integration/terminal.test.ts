// `ferry show job ID --progress` checked as a person sees it: run in a real terminal (tmux, fixed size, private
// socket) and read off the screen with capture-pane. The bar moves as batches finish, the ETA is a duration
// that fits the rate the line shows, failures appear in the live counts and in the closing report. With stdout
// not a terminal (a pipe, or a file from a terminal whose stderr is still one), the same command writes plain
// lines: no ANSI escapes, no carriage-return redraws, at most one progress line per 5 s.
//
// Progress is driven by state, not time: the origin parks every GET (gated origin); each step pauses the job,
// lets the parked batches finish, holds the gate again and unpauses, so the job is running with a known count
// when the screen is read. The screen is polled until it shows that count (or the test fails with the screen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Progress } from '../../common/schemas.js';
import { FERRY_BIN, FerryHarness } from '../helpers/cli.js';
import { startGatedOrigin, type GatedOrigin } from '../helpers/gated-origin.js';
import { startPane } from '../helpers/tmux.js';

const TOTAL = 60;
/** Names of the first batch the origin does not have: 404, permanent failures. */
const MISSING = ['o-001.bin', 'o-002.bin', 'o-003.bin'];

/** One progress line as client/progress.ts prints it. */
const LINE =
  /\[([#-]{30})\] (\d+\.\d)% (\d+)\/(\d+) \((\d+) copied, (\d+) skipped, (\d+) failed\) (\S+)\/s (\d+) obj\/s ETA (\S+) \[([\w-]+)\]/;

interface Shown {
  bar: number;
  pct: number;
  done: number;
  total: number;
  copied: number;
  skipped: number;
  failed: number;
  objPerSec: number;
  eta: string;
  state: string;
}

function parseLine(screen: string): Shown | undefined {
  const m = LINE.exec(screen);
  if (!m) return undefined;
  return {
    bar: m[1]!.split('').filter((c) => c === '#').length,
    pct: Number(m[2]),
    done: Number(m[3]),
    total: Number(m[4]),
    copied: Number(m[5]),
    skipped: Number(m[6]),
    failed: Number(m[7]),
    objPerSec: Number(m[9]),
    eta: m[10]!,
    state: m[11]!,
  };
}

/** client/format.ts humanDuration back to ms; undefined for what it never prints (a negative, garbage). */
function etaMs(text: string): number | null | undefined {
  if (text === '-') return null;
  let m = /^(\d+\.\d)s$/.exec(text) ?? /^(\d+)s$/.exec(text);
  if (m) return Number(m[1]) * 1000;
  m = /^(\d+)m(\d\d)s$/.exec(text);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  m = /^(\d+)h(\d\d)m$/.exec(text);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  return undefined;
}

/** The ETA is a duration, not negative, and fits the line's own counts at the job's average rate. */
function assertSaneEta(s: Shown, p: Progress, screen: string): void {
  const eta = etaMs(s.eta);
  assert.notEqual(eta, undefined, `ETA "${s.eta}" is no duration ferry prints:\n${screen}`);
  assert.ok(s.done <= s.total, `done ${s.done} within the total ${s.total}:\n${screen}`);
  assert.ok(s.copied + s.skipped + s.failed <= s.total, `counts within the total:\n${screen}`);
  if (s.copied + s.skipped === 0) return assert.equal(eta, null, `no ETA before anything was copied`);
  assert.ok(
    eta !== null && eta! > 0,
    `a running job with ${s.total - s.done} left has an ETA above 0: ${s.eta}`,
  );
  // The ETA is what is left at the average rate since the job started; the line was drawn a moment (one
  // refresh, a query) before the capture, and a person would call 2x off "absurd": bound it by that.
  const elapsedS = (Date.now() - p.startedAtMs) / 1000;
  const expected = ((s.total - s.done) / ((s.copied + s.skipped) / elapsedS)) * 1000;
  assert.ok(
    eta! >= expected / 2 && eta! <= expected * 2,
    `ETA ${s.eta} fits ${s.total - s.done} left at ${s.copied + s.skipped} in ${elapsedS.toFixed(1)} s ` +
      `(~${(expected / 1000).toFixed(1)} s):\n${screen}`,
  );
}

/** Let the parked batches finish and park the next ones: done grows, the job stays running. */
async function step(h: FerryHarness, origin: GatedOrigin, id: string, before: number): Promise<Progress> {
  assert.equal((await h.run(['job', 'pause', id])).code, 0);
  await h.waitForProgress(id, (p) => p.state === 'paused');
  origin.open();
  await h.waitForProgress(id, (p) => p.state === 'paused' && p.inFlightBatches === 0);
  origin.hold();
  assert.equal((await h.run(['job', 'unpause', id])).code, 0);
  const p = await h.waitForProgress(id, (q) => q.state === 'running' && q.inFlightBatches > 0);
  assert.ok(
    p.done > before && p.done < TOTAL,
    `the step finished batches and left some (${before} → ${p.done})`,
  );
  return p;
}

/** Output of --progress with stdout not a terminal: plain lines only, and no redraw every refresh. */
function assertPlain(out: string, lifetimeMs: number, what: string): void {
  assert.ok(!out.includes('\u001b'), `${what}: no ANSI escape sequences:\n${JSON.stringify(out)}`);
  assert.doesNotMatch(out, /\r/, `${what}: no carriage returns (redraws):\n${JSON.stringify(out)}`);
  const lines = out.split('\n').filter((l) => LINE.test(l));
  assert.ok(lines.length >= 1, `${what}: at least one progress line:\n${out}`);
  // One line when the job is first seen, then one per 5 s at most (a worker appearing or going adds one).
  const bound = 2 + Math.ceil(lifetimeMs / 5000);
  assert.ok(
    lines.length <= bound,
    `${what}: ${lines.length} progress lines in ${lifetimeMs} ms (≤ ${bound})`,
  );
  assert.match(out, /completed-with-failures: \d+ copied, 0 skipped, 3 failed of 60/, `${what}: the report`);
  for (const n of MISSING) assert.match(out, new RegExp(`${n.replace('.', '\\.')}\\s+SourceNotFound`), what);
}

test('terminal: show job --progress draws moving bars, a sane ETA and the failures; plain lines off a TTY', async (t) => {
  const h = new FerryHarness(t, 'term');
  const src = join(h.dir, 'src');
  mkdirSync(src);
  for (let i = 0; i < TOTAL; i++) {
    const name = `o-${String(i).padStart(3, '0')}.bin`;
    if (!MISSING.includes(name)) writeFileSync(join(src, name), Buffer.alloc(4096, i));
  }
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  await h.worker();
  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}o-{000..059}.bin`,
    join(h.dir, 'bucket'),
    '--batch-size',
    '5',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  await origin.waitUntil((s) => s.held > 0, 'the first batches parked at the origin');

  const show = [process.execPath, FERRY_BIN, 'show', 'job', id, '--progress'];
  const began = Date.now();
  const tty = await startPane(t, show, { env: h.env, dir: h.dir, width: 160, height: 40 });
  // stdout a file, stderr still the terminal: `ferry show job ID --progress > log` typed in a shell.
  const logFile = join(h.dir, 'progress.log');
  const redirected = await startPane(t, ['sh', '-c', 'exec "$@" > "$0"', logFile, ...show], {
    env: h.env,
    dir: h.dir,
  });
  // stdout and stderr pipes: under CI or another program.
  const piped = h.spawn('show-piped', ['show', 'job', id, '--progress']);

  const first = parseLine(
    await tty.waitForScreen(
      (s) => /\[running\]/.test(s) && LINE.test(s),
      'a progress line of the running job',
    ),
  );
  assert.equal(first!.total, TOTAL);
  assert.equal(first!.eta, '-', 'no ETA before anything was copied');

  const p1 = await step(h, origin, id, 0);
  const s1screen = await tty.waitForScreen(
    (s) => parseLine(s)?.done === p1.done && /\[running\]/.test(s),
    `the bar at ${p1.done}/${TOTAL}`,
  );
  const s1 = parseLine(s1screen)!;
  assert.equal(s1.failed, MISSING.length, `the failures in the live counts:\n${s1screen}`);
  assert.ok(s1.bar > 0, `the bar shows progress:\n${s1screen}`);
  assertSaneEta(s1, p1, s1screen);

  const p2 = await step(h, origin, id, p1.done);
  const s2screen = await tty.waitForScreen(
    (s) => parseLine(s)?.done === p2.done && /\[running\]/.test(s),
    `the bar at ${p2.done}/${TOTAL}`,
  );
  const s2 = parseLine(s2screen)!;
  assert.ok(s2.bar > s1.bar, `the bar moved: ${s1.bar} → ${s2.bar} of 30 cells`);
  assert.ok(s2.pct > s1.pct, `the percentage moved: ${s1.pct} → ${s2.pct}`);
  assertSaneEta(s2, p2, s2screen);
  console.log(`# screen at ${p2.done}/${TOTAL}:\n${s2screen.replace(/^/gm, '#   ')}`);

  origin.open();
  const status = await tty.waitForExit('the command exiting at the end of the job');
  const final = await tty.capture({ history: true });
  assert.equal(status, 3, `exit 3 = completed with failures:\n${final}`);
  assert.match(final, new RegExp(`${id}: completed-with-failures`), `the closed job's state:\n${final}`);
  assert.doesNotMatch(final, /\[running\]/, `no stale running bar left after the end:\n${final}`);
  assert.match(final, /FAILED OBJECT\s+ERROR/);
  for (const n of MISSING)
    assert.match(
      final,
      new RegExp(`^${n.replace('.', '\\.')}\\s+SourceNotFound\\s+no\\s+GET .*404`, 'm'),
      final,
    );
  console.log(`# final screen:\n${final.replace(/^/gm, '#   ')}`);

  assert.equal(await piped.exited, 3, piped.stderr());
  assert.equal(await redirected.waitForExit('the redirected command'), 3, readFileSync(logFile, 'utf8'));
  const lifetime = Date.now() - began;
  assertPlain(piped.stdout(), lifetime, 'stdout a pipe');
  assertPlain(readFileSync(logFile, 'utf8'), lifetime, 'stdout a file, stderr a terminal');
});
