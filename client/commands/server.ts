// `ferry server start|status|stop`: the embedded Temporal dev server (and the background worker).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stateDir } from '../../devserver/paths.js';

const conn = () => import('../connection.js');

export function register(program: Command): void {
  const server = program
    .command('server')
    .description('the embedded Temporal dev server (when TEMPORAL_ADDRESS is unset)');
  server
    .command('start')
    .description('start it (as a background daemon) if it is not running')
    .action(async () => {
      const { readEmbeddedState, pidAlive, startEmbeddedServer } = await conn();
      const st = readEmbeddedState();
      if (st && pidAlive(st.pid)) {
        console.log(`running: ${st.address}, Web UI ${st.uiUrl ?? '-'} (pid ${st.pid})`);
        return;
      }
      await startEmbeddedServer((m) => console.error(m));
    });
  server
    .command('status')
    .description('print address, Web UI and state directory')
    .action(async () => {
      const { readEmbeddedState, pidAlive } = await conn();
      const st = readEmbeddedState();
      if (st && pidAlive(st.pid))
        console.log(`running: ${st.address}, Web UI ${st.uiUrl ?? '-'} (pid ${st.pid}, db ${st.dbFile})`);
      else console.log(`not running (state directory ${stateDir()})`);
    });
  server
    .command('stop')
    .description('stop the embedded server and background worker')
    .action(async () => {
      const { readEmbeddedState, pidAlive, workerPidPath, embeddedStatePath } = await conn();
      try {
        const pid = Number(readFileSync(workerPidPath(), 'utf8').trim().split(/\s+/)[0]);
        if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGTERM');
      } catch {
        // no worker
      }
      const st = readEmbeddedState();
      if (!st || !pidAlive(st.pid)) {
        console.log('not running');
        return;
      }
      process.kill(-st.pid, 'SIGTERM');
      for (let i = 0; i < 100 && pidAlive(st.pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (pidAlive(st.pid)) process.kill(-st.pid, 'SIGKILL');
      console.log(`stopped (state kept in ${embeddedStatePath()})`);
    });
}
