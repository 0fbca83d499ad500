// Socket helpers shared by node:http's path (server.ts) and the fast path (fast-path.ts).
import type { Socket } from 'node:net';

/** Ends a socket once its buffered writes (the tail of the last response) are flushed. */
export function endSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}
