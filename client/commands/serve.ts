// `ferry serve DIR`: step 1 standalone, a directory over HTTP.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ferryEnv } from '../../lib/env.js';
import { CLIError } from '../errors.js';
import { parseIntOption } from '../format.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('step 1: serve a directory over HTTP (GET/HEAD, Range, listings), loopback by default')
    .argument('<dir>', 'directory to serve')
    .option('--bind <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '51061')
    .option(
      '--token <token>',
      'require `Authorization: Bearer <token>` (env FERRY_SERVE_TOKEN); mandatory off loopback',
    )
    .option('--dotfiles <policy>', 'deny | allow', 'deny')
    // One process measured best on 2 shared cores (README, Benchmarks › Origin); more pay where cores are free.
    .option('--workers <n>', 'processes sharing the socket (1-64)', '1')
    .action(
      async (
        dir: string,
        o: { bind: string; port: string; token?: string; dotfiles: string; workers: string },
      ) => {
        const root = resolve(dir);
        if (!existsSync(root) || !statSync(root).isDirectory())
          throw new CLIError(`serve: ${root} is not a directory`);
        if (o.dotfiles !== 'deny' && o.dotfiles !== 'allow')
          throw new CLIError(`invalid --dotfiles "${o.dotfiles}": deny or allow`);
        const token = o.token ?? ferryEnv().serveToken();
        const { startFileServer } = await import('../../lib/file-server/index.js');
        const server = await startFileServer({
          root,
          bind: o.bind,
          port: parseIntOption(o.port, '--port', 0, 65535),
          dotfiles: o.dotfiles,
          workers: parseIntOption(o.workers, '--workers', 1, 64),
          ...(token ? { token } : {}),
        });
        console.log(`serving ${root} at ${server.url} (Ctrl-C to stop)`);
        await new Promise<void>((res) => {
          const stop = () => void server.close().then(res);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
