// The state one running server shares with its request handlers.
import type { Socket } from 'node:net';

import type { FileServerStats } from './types.js';

export interface Ctx {
  realRoot: string;
  rootPrefix: string;
  denyDotfiles: boolean;
  tokenDigest: Buffer | undefined;
  checkHost: boolean;
  stats: FileServerStats;
  closing: boolean;
  log: (line: string) => void;
  /** Every open socket and how many of its requests have not finished their response yet. */
  inFlight: Map<Socket, number>;
}
