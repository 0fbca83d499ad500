// `ferry template T`: expand an AIStore template, as a job would.
import type { Command } from 'commander';
import { parseTemplate } from '../../common/template.js';
import { CLIError } from '../errors.js';
import { parseIntOption } from '../format.js';
import { addFmtOptions, addMaxNamesOption, fmtOf, maxNamesOf, type JobOpts } from '../job-options.js';

export function register(program: Command): void {
  const cmd = program
    .command('template')
    .description('expand an AIStore template: bash ranges {0010..0111..2}, pfx@00100, %06d, {a,b,c}')
    .argument('<template>', 'the template')
    .option('--count', 'print only the number of names', false)
    .option('--from <i>', 'first index', '0')
    .option('--limit <n>', 'print at most n names', '100');
  addMaxNamesOption(cmd);
  addFmtOptions(cmd).action((text: string, o: JobOpts & { count?: boolean; from: string; limit: string }) => {
    const fmt = fmtOf(o);
    const t = parseTemplate(text, { maxNames: maxNamesOf(o), ...(fmt ? { fmt } : {}) });
    if (o.count) {
      console.log(t.count);
      return;
    }
    const from = parseIntOption(o.from, '--from', 0, Number.MAX_SAFE_INTEGER);
    if (from >= t.count && t.count > 0)
      throw new CLIError(`--from ${from} is past the last index ${t.count - 1}`);
    for (const name of t.names(from, parseIntOption(o.limit, '--limit', 0, Number.MAX_SAFE_INTEGER)))
      console.log(name);
  });
}
