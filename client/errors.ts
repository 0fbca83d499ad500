// What the CLI says when something goes wrong: one line `ferry: <message>` and a documented exit code, never a
// stack (FERRY_DEBUG=1 adds it). Exit codes are declared here once; README "Exit codes" lists them.
// Light on purpose: loaded by every command before any SDK, so errors from the SDK are recognised by name
// and gRPC status code rather than by instanceof.
import { CommanderError } from 'commander';
import { InputError } from '../common/errors.js';
import { ferryEnv } from '../lib/env.js';

/** 0 done · 1 error · 2 bad input or unusable destination (nothing started) · 3 finished with failures · 4 stopped. */
export const EXIT = { ok: 0, error: 1, usage: 2, failures: 3, stopped: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A user-facing error: printed as one line, with exit code `code` (default: bad input). */
export class CLIError extends Error {
  override readonly name = 'CLIError';
  constructor(
    message: string,
    readonly code: ExitCode = EXIT.usage,
  ) {
    super(message);
  }
}

/** gRPC status codes the CLI explains (values of @grpc/grpc-js `Status`). */
export const GrpcStatus = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
} as const;

/** The gRPC status code of a Temporal client error (ServiceError wraps the gRPC error as its cause). */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    if (typeof e.code === 'number' && 'details' in e) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The messages of an error and its causes (a ServiceError's gRPC details included), for matching. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { message?: unknown; details?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 4;
    i++
  ) {
    if (typeof e.message === 'string') parts.push(e.message);
    if (typeof e.details === 'string') parts.push(e.details);
    e = e.cause as typeof e;
  }
  return parts.join(' | ');
}

/** The Temporal server this command connected to (client/connection.ts), named when it stops answering. */
let serverAddress: string | undefined;
export function noteServerAddress(address: string): void {
  serverAddress = address;
}

/** Print `err` as one line and return its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const { message, code } = explain(err);
  console.error(`ferry: ${message}`);
  if (debug() && err instanceof Error && err.stack) console.error(err.stack);
  return code;
}

// --- internal ---
function explain(err: unknown): { message: string; code: ExitCode } {
  if (err instanceof CLIError) return { message: err.message, code: err.code };
  // Templates, bucket URIs, sources, sizes, FERRY_* variables: input the user can fix, nothing started.
  if (err instanceof InputError) return { message: err.message, code: EXIT.usage };
  const e = err as { name?: string; message?: string; cause?: { details?: string; message?: string } };
  const grpc = grpcCode(err);
  const detail = oneLine(e.cause?.details ?? e.cause?.message ?? e.message ?? String(err));
  if (grpc === GrpcStatus.RESOURCE_EXHAUSTED)
    return { message: `the Temporal server refused a request as too large: ${detail}`, code: EXIT.error };
  if (grpc === GrpcStatus.DEADLINE_EXCEEDED)
    return { message: `the Temporal server did not answer in time: ${detail}`, code: EXIT.error };
  if (grpc === GrpcStatus.UNAVAILABLE) {
    // Connected once, then lost (the server stopped or restarted mid-command): where, and what to check. A job
    // the command had started goes on on the server; nothing of it was lost here.
    const at = serverAddress ? ` at ${serverAddress}` : '';
    return {
      message:
        `cannot reach the Temporal server${at}: ${detail} — check that it is running (\`ferry server status\`), ` +
        'then run the command again',
      code: EXIT.error,
    };
  }
  if (e.name === 'ServiceError' || grpc !== undefined)
    return { message: `Temporal: ${detail}`, code: EXIT.error };
  return { message: oneLine(e.message ?? String(err)), code: EXIT.error };
}

/** FERRY_DEBUG=1; a malformed value must not hide the error being reported. */
function debug(): boolean {
  try {
    return ferryEnv().debug();
  } catch {
    return false;
  }
}

/** The first line of a message: what follows (a stack, a dump) is for FERRY_DEBUG=1. */
function oneLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line || 'unknown error';
}
