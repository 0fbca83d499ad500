// `ferry serve DIR`: step 1 standalone, a directory over HTTP.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
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
    .option('--processes <n>', 'processes sharing the socket, 1-64 (`auto`: one per core)', '1')
    // The name before `ferry worker --processes` existed; kept so that scripts using it go on working.
    .addOption(new Option('--workers <n>').hideHelp())
    .action(
      async (
        dir: string,
        o: {
          bind: string;
          port: string;
          token?: string;
          dotfiles: string;
          processes: string;
          workers?: string;
        },
      ) => {
        const root = resolve(dir);
        if (!existsSync(root) || !statSync(root).isDirectory())
          throw new CLIError(`serve: ${root} is not a directory`);
        if (o.dotfiles !== 'deny' && o.dotfiles !== 'allow')
          throw new CLIError(`invalid --dotfiles "${o.dotfiles}": deny or allow`);
        const n = o.workers ?? o.processes;
        const processes =
          n === 'auto'
            ? Math.min(availableParallelism(), 64)
            : parseIntOption(n, o.workers !== undefined ? '--workers' : '--processes', 1, 64);
        const token = o.token ?? ferryEnv().serveToken();
        const { startFileServer } = await import('../../lib/file-server/index.js');
        const server = await startFileServer({
          root,
          bind: o.bind,
          port: parseIntOption(o.port, '--port', 0, 65535),
          dotfiles: o.dotfiles,
          workers: processes,
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
