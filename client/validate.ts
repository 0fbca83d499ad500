// Local validation of a job, before anything is started or written. Light on purpose (pure modules only):
// bad input must be reported without loading the Temporal SDK.
import { resolve } from 'node:path';
import { formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { validateObjectName } from '../common/names.js';
import {
  MigrationInputSchema,
  formatZodError,
  isListingSource,
  type MigrationInput,
} from '../common/schemas.js';
import { parseTemplate } from '../common/template.js';
import { CLIError } from './errors.js';

/**
 * Validate a job locally, before anything is started or written. Throws CLIError naming the problem. A listing
 * source's names are not known until walked (client/listing-plan.ts): its plan has `listing` set and no names.
 */
export function validateJob(input: MigrationInput): {
  total: number;
  first: string;
  last: string;
  listing?: true;
} {
  const r = MigrationInputSchema.safeParse(input);
  if (!r.success) throw new CLIError(formatZodError(r.error, 'job'));
  const src = r.data.source;
  parseBucketUri(r.data.destination);
  if (isListingSource(src) || src.kind === 'manifest') {
    return { total: 0, first: '', last: '', listing: true };
  }
  if (src.kind === 'list') {
    const seen = new Set<string>();
    src.names.forEach((n, i) => {
      const p = validateObjectName(n);
      if (p) throw new CLIError(`object list line ${i + 1}: invalid name ${showName(n)}: ${p}`);
      if (seen.has(n)) throw new CLIError(`object list line ${i + 1}: duplicate name ${showName(n)}`);
      seen.add(n);
    });
    return { total: src.names.length, first: src.names[0]!, last: src.names.at(-1)! };
  }
  const t = parseTemplate(src.template, {
    maxNames: r.data.options.maxNames,
    ...(src.fmt ? { fmt: src.fmt } : {}),
  });
  const first = t.nameAt(0);
  const last = t.nameAt(t.count - 1);
  for (const [n, where] of [
    [first, 'first'],
    [last, 'last'],
  ] as const) {
    const p = validateObjectName(n);
    if (p) throw new CLIError(`template "${src.template}": ${where} name ${showName(n)} is invalid: ${p}`);
  }
  return { total: t.count, first, last };
}

/** A name as it can be shown safely: control characters escaped (JSON style), long names shortened. */
export function showName(n: string): string {
  const q = JSON.stringify(n.length > 80 ? `${n.slice(0, 60)}…${n.slice(-10)}` : n);
  return q;
}

/** A bucket argument: URI, or a path (made absolute here: the pure parser has no cwd). */
export function bucketArg(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || (/^[a-z0-9]+:/i.test(text) && !text.startsWith('/'))) {
    return formatBucketUri(parseBucketUri(text));
  }
  return formatBucketUri(parseBucketUri(resolve(text)));
}
