// Public types of the file server: its options, the handle of a running server, and its counters.

/** Options of {@link startFileServer}. */
export interface FileServerOptions {
  /** Directory to serve. Nothing outside it (after resolving symlinks) is ever served. */
  root: string;
  /**
   * Address to listen on. Anything but a loopback address requires {@link FileServerOptions.token}.
   * @default '127.0.0.1'
   */
  bind?: string;
  /** TCP port; 0 picks an ephemeral one (read it back from {@link FileServer.port}). @default 0 */
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Whether names starting with `.` (and everything below a dot-directory) are served. @default 'deny' */
  dotfiles?: 'deny' | 'allow';
  /** Receives one line per notable event (start, close, server-side errors); never per request. */
  log?: (line: string) => void;
  /**
   * Time a client has to send the complete request head. Exposed so tests can use a short one.
   * @default 10_000
   */
  headersTimeoutMs?: number;
  /**
   * How long {@link FileServer.close} lets in-flight responses finish before it destroys their sockets.
   * @default 10_000
   */
  closeTimeoutMs?: number;
  /**
   * Processes serving the socket: 1 serves from this process; N > 1 forks N cluster workers that share the
   * listening socket (node:cluster), this process only hands out connections. See cluster.ts.
   * @default 1
   */
  workers?: number;
  /**
   * Whether plain GET/HEAD requests of files up to 256 KiB are answered without node:http's per-request
   * machinery (fast-path.ts); everything else is node:http's either way. Off only to compare the two.
   * @default true
   */
  fastPath?: boolean;
}

/** A running server, as returned by {@link startFileServer}. */
export interface FileServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:51061/`. */
  readonly url: string;
  readonly port: number;
  /** The real path (symlinks resolved) of the served directory. */
  readonly root: string;
  /**
   * Stops accepting connections, closes idle keep-alive sockets at once and the others as soon as their
   * response is done (or after `closeTimeoutMs`), and resolves when the listener is closed. Idempotent.
   */
  close(): Promise<void>;
  stats(): FileServerStats;
}

export interface FileServerStats {
  /** Requests received, whatever their outcome. */
  requests: number;
  /** Response body bytes handed to sockets (headers not included; an aborted download counts what was read). */
  bytesSent: number;
  activeConnections: number;
  /** Of {@link FileServerStats.requests}, those answered on the fast path (plain GET/HEAD of a small file). */
  fastRequests: number;
}
