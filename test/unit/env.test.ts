import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BucketUriErrorCode } from '../../common/bucket-uri.js';
import { ErrorType, INPUT_ERROR_CODE, InputError, NON_RETRYABLE_TYPES } from '../../common/errors.js';
import { ObjectNameErrorCode } from '../../common/names.js';
import { TemplateErrorCode } from '../../common/template.js';
import { UnitErrorCode } from '../../common/units.js';
import { repoRoot } from '../../devserver/paths.js';
import {
  ConfigError,
  ConfigErrorCode,
  ENV_VARS,
  checkEnv,
  ferryEnv,
  readVar,
  type VarName,
  type VarSpec,
} from '../../lib/env.js';
import { FileServerErrorCode } from '../../lib/file-server/index.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The rows of the first table under `heading` whose header starts with `header`, as trimmed cells. */
function tableRows(heading: string, header: RegExp): string[][] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  assert.ok(section, `README has a "## ${heading}" section`);
  const lines = section.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `"## ${heading}" has a table whose header matches ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const code = (cell: string): string | undefined => /^`([^`]+)`$/.exec(cell)?.[1];

void describe("README's Environment table = lib/env.ts's table", () => {
  const rows = tableRows('Environment', /^\| variable \| default \| meaning \|$/);
  const readmeVars = new Map(
    rows.map(([name = '', dflt = '', meaning = '']) => [code(name), { dflt, meaning }]),
  );
  const specs = Object.entries(ENV_VARS) as [VarName, VarSpec][];

  void it('every README row is one variable in backticks, listed once', () => {
    assert.ok(rows.length > 0);
    for (const [name] of rows) assert.match(name ?? '', /^`[A-Z][A-Z0-9_]*`$/);
    assert.equal(readmeVars.size, rows.length, 'no variable listed twice');
  });

  void it('every variable of the module is in the README', () => {
    const missing = specs.map(([n]) => n).filter((n) => !readmeVars.has(n));
    assert.deepEqual(missing, []);
  });

  void it('every variable of the README is in the module', () => {
    const extra = [...readmeVars.keys()].filter((n) => !(n! in ENV_VARS));
    assert.deepEqual(extra, []);
  });

  for (const [name, spec] of specs)
    void it(`${name}: same default and meaning`, () => {
      const row = readmeVars.get(name);
      assert.ok(row, `${name} in the README`);
      const dflt = spec.default !== undefined ? `\`${spec.default}\`` : (spec.defaultText ?? '—');
      assert.equal(row.dflt, dflt, `${name}: default`);
      const meaning = `${spec.testInstrumentation ? 'test instrumentation: ' : ''}${spec.meaning}`;
      assert.equal(row.meaning, meaning, `${name}: meaning`);
    });

  void it('every FERRY_* variable the README names anywhere is in the module', () => {
    // FERRY_ERR_* are error codes (## Errors), not variables.
    const named = new Set(readme.match(/\bFERRY_(?!ERR_)[A-Z0-9_]+\b/g) ?? []);
    assert.deepEqual(
      [...named].filter((n) => !(n in ENV_VARS)),
      [],
    );
  });
});

void describe('ferryEnv: typed getters over an injected environment', () => {
  void it('defaults when unset or blank', () => {
    const e = ferryEnv({ FERRY_S3_PART_SIZE: '  ', HOME: '/h' });
    assert.equal(e.s3PartSize(), 16 * 2 ** 20);
    assert.equal(e.s3MultipartThreshold(), 64 * 2 ** 20);
    assert.equal(e.s3QueueSize(), 4);
    assert.equal(e.aisVerifyMax(), 4 * 2 ** 20);
    assert.equal(e.taskQueue(), 'ferry');
    assert.equal(e.logLevel(), 'WARN');
    assert.equal(e.reclaim(), true);
    assert.equal(e.trace(), false);
    assert.equal(e.skipPreflight(), false);
    assert.equal(e.checkpointEveryMs(), 250);
    assert.equal(e.httpConnectTimeoutMs(), 10_000);
    assert.equal(e.awsRegion(), 'us-east-1');
    assert.equal(e.s3Endpoint(), undefined);
    assert.equal(e.s3ForcePathStyle(), false);
    assert.equal(e.aisEndpoint(), 'http://127.0.0.1:8080');
    assert.equal(e.aisEndpointFromEnv(), false);
    assert.equal(e.serveToken(), undefined);
    assert.equal(e.putJournal(), undefined);
    assert.equal(e.toolBin('temporal'), undefined);
    assert.equal(e.stateDir(), '/h/.local/state/ferry');
    assert.equal(e.toolsCache(), '/h/.cache/ferry/tools');
  });

  void it('values as set, in the one unit grammar', () => {
    const e = ferryEnv({
      FERRY_S3_PART_SIZE: '16MB',
      FERRY_S3_MULTIPART_THRESHOLD: '1GiB',
      FERRY_AIS_VERIFY_MAX: '1.5 MiB',
      FERRY_LOG_LEVEL: 'debug',
      FERRY_RECLAIM: '0',
      FERRY_TRACE: 'yes',
      FERRY_CHECKPOINT_EVERY_MS: '0',
      FERRY_HTTP_BODY_TIMEOUT_MS: '2s',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AIS_ENDPOINT: 'http://ais:51080//',
      FERRY_STATE_DIR: '/state',
      XDG_CACHE_HOME: '/cache',
      FERRY_AISNODE_BIN: '/bin/aisnode',
    });
    assert.equal(e.s3PartSize(), 16_000_000);
    assert.equal(e.s3MultipartThreshold(), 2 ** 30);
    assert.equal(e.aisVerifyMax(), 1.5 * 2 ** 20);
    assert.equal(e.logLevel(), 'DEBUG');
    assert.equal(e.reclaim(), false);
    assert.equal(e.trace(), true);
    assert.equal(e.checkpointEveryMs(), 0);
    assert.equal(e.httpBodyTimeoutMs(), 2000);
    assert.equal(e.awsRegion(), 'eu-west-1');
    assert.equal(e.s3Endpoint(), 'http://127.0.0.1:9000');
    assert.equal(e.s3ForcePathStyle(), true);
    assert.equal(
      ferryEnv({ AWS_ENDPOINT_URL: 'http://x', FERRY_S3_FORCE_PATH_STYLE: '0' }).s3ForcePathStyle(),
      false,
    );
    assert.equal(e.aisEndpoint(), 'http://ais:51080');
    assert.equal(e.aisEndpointFromEnv(), true);
    assert.equal(e.stateDir(), '/state');
    assert.equal(e.toolsCache(), '/cache/ferry/tools');
    assert.equal(e.toolBin('aisnode'), '/bin/aisnode');
  });

  void it('reads at each call (tests set variables after import)', () => {
    const env: Record<string, string> = {};
    const e = ferryEnv(env);
    assert.equal(e.s3QueueSize(), 4);
    env.FERRY_S3_QUEUE_SIZE = '8';
    assert.equal(e.s3QueueSize(), 8);
  });
});

void describe('a bad value: ConfigError naming the variable, the value and what is accepted', () => {
  const cases: [name: VarName, value: string, message: string][] = [
    [
      'FERRY_S3_PART_SIZE',
      '12 parsecs',
      'FERRY_S3_PART_SIZE="12 parsecs" is not a size (unknown unit "parsecs"): use e.g. 16MiB (binary) or 16MB (decimal)',
    ],
    ['FERRY_S3_PART_SIZE', '1KiB', 'FERRY_S3_PART_SIZE=1KiB is below the minimum, 5MiB'],
    ['FERRY_S3_PART_SIZE', '5MB', 'FERRY_S3_PART_SIZE=5MB is below the minimum, 5MiB'],
    [
      'FERRY_S3_MULTIPART_THRESHOLD',
      '64M',
      'FERRY_S3_MULTIPART_THRESHOLD=64M is ambiguous: write 64MiB (binary) or 64MB (decimal)',
    ],
    [
      'FERRY_AIS_VERIFY_MAX',
      '-4MiB',
      'FERRY_AIS_VERIFY_MAX=-4MiB is negative: a size is 0 or more, use e.g. 16MiB (binary) or 16MB (decimal)',
    ],
    ['FERRY_S3_QUEUE_SIZE', '0', 'FERRY_S3_QUEUE_SIZE=0 is not an integer in [1, 64]'],
    ['FERRY_S3_QUEUE_SIZE', '4.5', 'FERRY_S3_QUEUE_SIZE=4.5 is not an integer in [1, 64]'],
    ['FERRY_TRACE', 'maybe', 'FERRY_TRACE=maybe is not 0 or 1'],
    ['FERRY_S3_FORCE_PATH_STYLE', '2', 'FERRY_S3_FORCE_PATH_STYLE=2 is not 0 or 1'],
    ['FERRY_LOG_LEVEL', 'loud', 'FERRY_LOG_LEVEL=loud is not one of TRACE, DEBUG, INFO, WARN, ERROR'],
    [
      'FERRY_HTTP_BODY_TIMEOUT_MS',
      'soon',
      'FERRY_HTTP_BODY_TIMEOUT_MS=soon is not a duration: use whole milliseconds (250) or a unit: 250ms, 10s, 5m, 1h',
    ],
    ['FERRY_HTTP_BODY_TIMEOUT_MS', '0', 'FERRY_HTTP_BODY_TIMEOUT_MS=0 is below the minimum, 1ms'],
    ['AIS_ENDPOINT', 'ais-proxy:8080', 'AIS_ENDPOINT=ais-proxy:8080 is not an http(s) URL'],
    ['AWS_ENDPOINT_URL', 'not a url', 'AWS_ENDPOINT_URL="not a url" is not an http(s) URL'],
  ];
  for (const [name, value, message] of cases)
    void it(`${name}=${JSON.stringify(value)}`, () => {
      assert.throws(
        () => readVar(name, { [name]: value }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.ok(err instanceof InputError);
          assert.equal(err.name, 'ConfigError');
          assert.equal(err.code, ConfigErrorCode.BadValue);
          assert.equal(err.type, ErrorType.InvalidInput);
          assert.equal(err.variable, name);
          assert.equal(err.value, value);
          assert.equal(err.message, message);
          return true;
        },
      );
    });

  void it('checkEnv lists every malformed variable and nothing else', () => {
    const errs = checkEnv({ FERRY_TRACE: 'x', FERRY_S3_PART_SIZE: '16MiB', FERRY_S3_QUEUE_SIZE: 'many' });
    assert.deepEqual(errs.map((e) => e.variable).sort(), ['FERRY_S3_QUEUE_SIZE', 'FERRY_TRACE']);
    assert.deepEqual(checkEnv({}), []);
  });
});

void describe('input errors: one base, one code scheme', () => {
  const tables = {
    TemplateErrorCode,
    BucketUriErrorCode,
    ObjectNameErrorCode,
    UnitErrorCode,
    ConfigErrorCode,
    FileServerErrorCode,
  };
  for (const [table, codes] of Object.entries(tables))
    void it(`${table}: every code is FERRY_ERR_<AREA>_<WHAT>`, () => {
      for (const c of Object.values(codes)) assert.match(c, INPUT_ERROR_CODE);
    });

  void it('no code is used by two tables', () => {
    const all = Object.values(tables).flatMap((t) => Object.values(t) as string[]);
    assert.equal(new Set(all).size, all.length);
  });
});

void describe("README's Errors table = ErrorType", () => {
  const rows = tableRows('Errors', /^\| type \| raised when \| retried\? \|$/);
  const documented = rows.map(([t = '']) => code(t));

  void it('lists every type once, and no other', () => {
    assert.deepEqual([...documented].sort(), Object.values(ErrorType).sort());
  });

  void it('says "never" exactly for the non-retryable types', () => {
    for (const [t = '', , retried = ''] of rows) {
      const type = code(t) as ErrorType;
      assert.equal(
        /^never\b/.test(retried),
        NON_RETRYABLE_TYPES.includes(type),
        `${type}: "${retried}" vs NON_RETRYABLE_TYPES`,
      );
    }
  });
});
