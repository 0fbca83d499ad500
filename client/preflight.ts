// Pre-flight checks the CLI runs after validation and before starting a job: an unreachable origin, or a
// destination that cannot be reached or lacks working credentials, is one clear line and exit 2 — not a job
// whose every object fails, or a workflow retrying prepareBucket for minutes.
//
// The checks run in the CLI's environment, which is the workers' environment for `--wait`, `migrate` and the
// embedded background worker (started from this shell). When workers run elsewhere with access this shell
// lacks, FERRY_SKIP_PREFLIGHT=1 skips them.
import { connect } from 'node:net';
import { ferryEnv } from '../lib/env.js';
import { CLIError } from './errors.js';

/** Resolve when `url`'s host accepts a TCP connection; throw CLIError naming the origin otherwise. */
export async function checkOriginReachable(url: string, timeoutMs = 5000): Promise<void> {
  if (ferryEnv().skipPreflight()) return;
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new CLIError(`origin ${u.protocol}//${u.host} is unreachable: no answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CLIError(`origin ${u.protocol}//${u.host} is unreachable: ${err.code ?? err.message}`));
    });
  });
}

export async function preflightDestination(uri: string): Promise<void> {
  if (uri.startsWith('file:') || ferryEnv().skipPreflight()) return;
  // Loaded here, not at the top: `ferry template` and bad-input errors must not pay for the AWS SDK.
  const { openBucket } = await import('../lib/buckets/index.js');
  try {
    await (await openBucket(uri)).preflight();
  } catch (err) {
    const e = err as { type?: string; message?: string };
    const hint =
      e.type === 'NetworkError' || e.type === 'DestinationForbidden'
        ? ' (checked from this shell; FERRY_SKIP_PREFLIGHT=1 skips the check when workers elsewhere have access)'
        : '';
    throw new CLIError(`destination check failed: ${e.message ?? String(err)}${hint}`);
  }
}
