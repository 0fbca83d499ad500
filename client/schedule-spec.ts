// The options of `ferry job schedule create` as a Temporal schedule's spec, policies and state. Light on purpose
// (no SDK import): bad options are refused in ~0.1 s, before anything connects. The overlap policy names are
// the SDK's `ScheduleOverlapPolicy` values, spelled as users type them (`buffer-one` for BUFFER_ONE).
import { CLIError } from './errors.js';

/** `--overlap` values: what happens when a run is due while the previous one still runs. */
export const OVERLAP = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
} as const;
export type OverlapName = keyof typeof OVERLAP;
export type OverlapPolicy = (typeof OVERLAP)[OverlapName];

/** Commander's view of the create options. */
export interface ScheduleOpts {
  every?: string;
  offset?: string;
  cron?: string[];
  timezone?: string;
  jitter?: string;
  startAt?: string;
  endAt?: string;
  overlap?: string;
  catchupWindow?: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
  note?: string;
}

export interface ScheduleParts {
  spec: {
    intervals?: { every: number; offset?: number }[];
    cronExpressions?: string[];
    timezone?: string;
    jitter?: number;
    startAt?: Date;
    endAt?: Date;
  };
  policies: { overlap: OverlapPolicy; catchupWindow?: number; pauseOnFailure: boolean };
  state: { paused: boolean; note?: string };
  /** The spec as the user gave it, kept in the schedule's memo for `describe` and `list`. */
  specText: string;
}

/** The schedule of a create command line; throws CLIError (exit 2) naming the bad option. */
export function scheduleParts(o: ScheduleOpts): ScheduleParts {
  const cron = o.cron ?? [];
  if (o.every === undefined && cron.length === 0)
    throw new CLIError('schedule create: give --every <duration> (e.g. 1h) or --cron <expression>');
  if (o.offset !== undefined && o.every === undefined) throw new CLIError('--offset needs --every');
  const every = o.every === undefined ? undefined : durationOf('--every', o.every, 1000);
  const offset = o.offset === undefined ? undefined : durationOf('--offset', o.offset, 0);
  if (every !== undefined && offset !== undefined && offset >= every)
    throw new CLIError(`--offset ${o.offset} must be shorter than --every ${o.every}`);
  for (const c of cron) cronCheck(c);
  if (o.timezone !== undefined) timezoneCheck(o.timezone);
  const startAt = o.startAt === undefined ? undefined : timeOf('--start-at', o.startAt);
  const endAt = o.endAt === undefined ? undefined : timeOf('--end-at', o.endAt);
  if (startAt && endAt && endAt <= startAt) throw new CLIError('--end-at must be later than --start-at');
  const specText = [
    ...(o.every !== undefined
      ? [`every ${o.every}${o.offset !== undefined ? ` offset ${o.offset}` : ''}`]
      : []),
    ...cron.map((c) => `cron '${c}'${o.timezone ? ` ${o.timezone}` : ''}`),
  ].join(' + ');
  return {
    spec: {
      ...(every !== undefined ? { intervals: [{ every, ...(offset ? { offset } : {}) }] } : {}),
      ...(cron.length ? { cronExpressions: cron } : {}),
      ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
      ...(o.jitter !== undefined ? { jitter: durationOf('--jitter', o.jitter, 0) } : {}),
      ...(startAt ? { startAt } : {}),
      ...(endAt ? { endAt } : {}),
    },
    policies: {
      overlap: overlapOf(o.overlap ?? 'skip'),
      ...(o.catchupWindow !== undefined
        ? { catchupWindow: durationOf('--catchup-window', o.catchupWindow, 10_000) }
        : {}),
      pauseOnFailure: o.pauseOnFailure ?? false,
    },
    state: { paused: o.paused ?? false, ...(o.note !== undefined ? { note: o.note } : {}) },
    specText,
  };
}

/** An `--overlap` value as the SDK's policy. */
export function overlapOf(text: string): OverlapPolicy {
  const p = (OVERLAP as Record<string, OverlapPolicy>)[text.toLowerCase()];
  if (!p)
    throw new CLIError(
      `invalid --overlap ${JSON.stringify(text)}: use one of ${Object.keys(OVERLAP).join(', ')}`,
    );
  return p;
}

/** The `--overlap` name of an SDK policy (`BUFFER_ONE` → `buffer-one`). */
export function overlapName(p: string | undefined): string {
  return (p ?? OVERLAP.skip).toLowerCase().replace(/_/g, '-');
}

/** A point in time: ISO 8601 (`2026-11-30T10:00:00Z`, a date alone is midnight UTC) or `now[-+]<duration>`. */
export function timeOf(option: string, text: string, now = Date.now()): Date {
  const rel = /^now(?:\s*([-+])\s*(.+))?$/i.exec(text.trim());
  if (rel) {
    const d = rel[2] === undefined ? 0 : durationOf(option, rel[2], 0);
    return new Date(now + (rel[1] === '-' ? -d : d));
  }
  const t = /^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/i.test(text.trim())
    ? Date.parse(text.trim())
    : NaN;
  if (!Number.isFinite(t))
    throw new CLIError(
      `invalid ${option} ${JSON.stringify(text)}: use an ISO 8601 time (2026-11-30T10:00:00Z) or now-1h`,
    );
  return new Date(t);
}

// --- internal ---
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration such as `30s`, `5m`, `1h30m`, `1d`, in whole seconds (a schedule's resolution). Written here
 * rather than with common/units.ts parseDuration: schedules need days and compound values, and no sub-second.
 */
function durationOf(option: string, text: string, minMs: number): number {
  const t = text.trim().toLowerCase();
  let ms = 0;
  let rest = t;
  while (rest) {
    const m = /^(\d+)([smhd])/.exec(rest);
    if (!m) {
      ms = NaN;
      break;
    }
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!t || !Number.isSafeInteger(ms))
    throw new CLIError(
      `invalid ${option} ${JSON.stringify(text)}: use a duration such as 30s, 5m, 1h, 1h30m or 1d`,
    );
  if (ms < minMs) throw new CLIError(`${option} ${text} is too short: at least ${minMs / 1000}s`);
  return ms;
}

/** The shape of a cron line; the server parses the fields themselves and refuses a bad one before creating. */
function cronCheck(expr: string): void {
  const e = expr.trim();
  const fields = e.split(/\s+/).length;
  if (/^@(yearly|annually|monthly|weekly|daily|hourly|every\s+\S+)/i.test(e)) return;
  if (fields < 5 || fields > 7)
    throw new CLIError(
      `invalid --cron ${JSON.stringify(expr)}: use 5 fields (minute hour day-of-month month day-of-week), e.g. '0 * * * *'`,
    );
}

function timezoneCheck(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new CLIError(
      `invalid --timezone ${JSON.stringify(tz)}: use an IANA name such as Europe/Paris or UTC`,
    );
  }
}
