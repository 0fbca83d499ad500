// The one place job IDs are minted (common/ids.ts has the format; the randomness is node-side).
import { randomBytes } from 'node:crypto';
import { JOB_ID_RANDOM_BYTES, formatJobId, type JobKind } from '../common/ids.js';

export function mintJobId(kind: JobKind): string {
  return formatJobId(kind, randomBytes(JOB_ID_RANDOM_BYTES));
}
