// Output helpers shaped like the ais CLI: human sizes (KiB/MiB), aligned tables, durations.

import { CLIError } from './errors.js';

// Re-exported: parse errors below are CLIErrors, and callers that only format need not import errors.ts.
export { CLIError };

export function humanBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  // 1024 - 0.005 rather than 1024: a value that toFixed(2) would print as 1024.00 belongs to the next unit.
  // Bytes are whole, but a rate (bytes/s) is not: round it rather than print 9.868421052631579B/s.
  while (v >= 1024 - 0.005 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)}B` : `${v.toFixed(2)}${units[u]}`;
}

export function parseIntOption(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()))
    throw new CLIError(`invalid ${option} "${text}": expected an integer in [${min}, ${max}]`);
  const v = Number(text);
  if (v < min || v > max) throw new CLIError(`invalid ${option} ${v}: must be in [${min}, ${max}]`);
  return v;
}

export function humanDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function bar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** `, N excluded` when a job's filter left names out (a job without a filter prints no such count). */
export function excludedText(t: { excluded?: number | undefined }): string {
  return t.excluded ? `, ${t.excluded} excluded` : '';
}
