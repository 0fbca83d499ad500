// The `ferry` CLI, shaped like AIStore's `ais`: one file per command under commands/, registered here. Every
// input is validated first: a bad template, bucket or option prints what is wrong and where, exits 2, and
// nothing is started or written. Every failure ends in reportError: one line `ferry: <message>` and a
// documented exit code (errors.ts); a stack only with FERRY_DEBUG=1.
//
// Command files load heavy modules (Temporal SDK, undici, AWS SDK) only inside their actions: `ferry template`
// or a bad-input error answers in ~0.1 s, not after loading the SDK (~1 s on these machines).
import { Command } from 'commander';
import * as jobControl from './commands/job-control.js';
import * as jobResume from './commands/job-resume.js';
import * as jobStart from './commands/job-start.js';
import * as jobVerify from './commands/job-verify.js';
import * as ls from './commands/ls.js';
import * as jobSchedule from './commands/schedule.js';
import * as migrate from './commands/migrate.js';
import * as object from './commands/object.js';
import * as serve from './commands/serve.js';
import * as server from './commands/server.js';
import * as show from './commands/show.js';
import * as template from './commands/template.js';
import * as worker from './commands/worker.js';
import { reportError } from './errors.js';

// `ferry ... | head` closes our stdout early: that is the reader saying "enough", not an error, and Node would
// otherwise die of an unhandled EPIPE with a stack. Stop quietly, as coreutils do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const program = new Command('ferry')
  .description('Durable, resumable copies of file datasets into object-store buckets (Temporal workflows)')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    '\nExit codes: 0 done, 1 error, 2 bad input or unusable destination (nothing started),\n' +
      '3 job finished with failed objects, 4 job stopped. FERRY_DEBUG=1 adds stacks to error lines.',
  );

serve.register(program);
object.register(program);
const job = program
  .command('job')
  .description('start, stop, pause, unpause, resume jobs; schedule recurring ones');
jobStart.register(job);
jobControl.register(job);
jobResume.register(job);
jobVerify.register(job);
jobSchedule.register(job);
show.register(program);
migrate.register(program);
ls.register(program);
template.register(program);
worker.register(program);
server.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
