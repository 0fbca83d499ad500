// Before a job starts: can the destination be reached, with working credentials? A wrong AIS_ENDPOINT or missing
// AWS credentials should be one clear line and exit 2, not a workflow retrying prepareBucket for minutes.
//
// The check runs in the CLI's environment, which is the workers' environment for `--wait`, `migrate` and the
// embedded background worker (started from this shell). When workers run elsewhere with credentials this
// shell lacks, FERRY_SKIP_PREFLIGHT=1 skips it.
import { CLIError } from './format.js';

export async function preflightDestination(uri: string): Promise<void> {
  if (uri.startsWith('file:') || process.env.FERRY_SKIP_PREFLIGHT === '1') return;
  // Loaded here, not at the top: `ferry template` and bad-input errors must not pay for the AWS SDK.
  const { openBucket } = await import('../activities/buckets/index.js');
  try {
    await openBucket(uri).preflight();
  } catch (err) {
    const e = err as { type?: string; message?: string };
    const hint =
      e.type === 'NetworkError' || e.type === 'DestinationForbidden'
        ? ' (checked from this shell; FERRY_SKIP_PREFLIGHT=1 skips the check when workers elsewhere have access)'
        : '';
    throw new CLIError(`destination check failed: ${e.message ?? String(err)}${hint}`);
  }
}
