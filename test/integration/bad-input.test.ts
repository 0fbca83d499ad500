// Bad input → a clear error naming what is wrong and where, exit code 2, nothing written; and through the
// workflow API → a non-retryable InvalidInput failure on the first workflow task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { migrationWorkflow } from '../../workflows/index.js';
import { cliEnv, ferry, rmrf, tempDir } from '../helpers/exec.js';
import { startTestWorker } from '../helpers/temporal.js';

const U = 'http://127.0.0.1:9/d';

test('bad CLI input: clear error, exit 2, nothing written', async (t) => {
  const dir = tempDir('bad');
  t.after(() => rmrf(dir));
  const bucket = join(dir, 'never-created');
  const list = join(dir, 'list.txt');
  writeFileSync(list, 'ok-1\n../etc/passwd\n');
  const dupList = join(dir, 'dup.txt');
  writeFileSync(dupList, 'a\nb\na\n');
  const lines = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const absList = lines('abs.txt', 'ok\n/etc/passwd\n');
  const ctlList = lines('ctl.txt', 'ok\na\u0001b\n');
  const nulList = lines('nul.txt', 'a\u0000b\n');
  const longList = lines('long.txt', `${'x'.repeat(1100)}\n`);
  const dotList = lines('dot.txt', 'ok\na/./b\n');
  const emptyList = lines('empty.txt', '\n\n');
  const env = cliEnv();
  const cases: [string, string[], RegExp][] = [
    // templates
    ['negative step', ['job', 'start', 'download', `${U}/x-{1..3..-1}`, bucket], /position 9: step -1/],
    ['empty braces', ['job', 'start', 'download', `${U}/x-{}`, bucket], /position 2: "\{\}"/],
    ['nested braces', ['job', 'start', 'download', `${U}/x-{1..{2..3}}`, bucket], /position 6: .*nesting/],
    [
      '@ without digits',
      ['job', 'start', 'download', `${U}/x@`, bucket],
      /position 1: "@" must be followed by digits/,
    ],
    ['bad fmt width', ['job', 'start', 'download', `${U}/x-%5d`, bucket], /position 2: "%5d"/],
    [
      'number overflow',
      ['job', 'start', 'download', `${U}/x-{99999999999999999999..100000000000000000000}`, bucket],
      /position 3: .*beyond 9007199254740991/,
    ],
    [
      'fmt end negative',
      ['job', 'start', 'download', `${U}/x-%03d`, bucket, '--fmt-end', '-1'],
      /--fmt-end "-1"/,
    ],
    ['template cmd past end', ['template', 'a-{1..3}', '--from', '99'], /--from 99 is past the last index 2/],
    // URLs
    ['empty host', ['job', 'start', 'download', 'http:///x', bucket], /host of "http:\/\/\/x" is empty/],
    ['query string', ['job', 'start', 'download', 'http://h/x?y=1', bucket], /query strings/],
    ['URL names no object', ['job', 'start', 'download', 'https://h/', bucket], /names no object/],
    [
      'unreachable origin',
      ['job', 'start', 'download', `${U}/x-{1..3}`, bucket],
      /origin http:\/\/127\.0\.0\.1:9 is unreachable: ECONNREFUSED/,
    ],
    [
      'unknown host',
      ['job', 'start', 'download', 'http://no-such-host.invalid/x-{1..3}', bucket],
      /unreachable: (ENOTFOUND|EAI_AGAIN)/,
    ],
    // bucket URIs
    ['s3 without bucket', ['job', 'start', 'download', `${U}/x`, 's3://'], /"s3:\/\/": missing bucket name/],
    ['ais without bucket', ['job', 'start', 'download', `${U}/x`, 'ais://'], /missing bucket name/],
    [
      's3 underscore',
      ['job', 'start', 'download', `${U}/x`, 's3://bucket_under'],
      /invalid character "_" at index 6/,
    ],
    ['ais dotdot', ['job', 'start', 'download', `${U}/x`, 'ais://a..b'], /"\.\."/],
    [
      'file URI with host',
      ['job', 'start', 'download', `${U}/x`, 'file://relative/p'],
      /names host "relative"/,
    ],
    // names in lists
    [
      'absolute name in list',
      ['job', 'start', 'download', U, bucket, '--object-list', absList],
      /line 2: invalid name "\/etc\/passwd"/,
    ],
    [
      'control char in list',
      ['job', 'start', 'download', U, bucket, '--object-list', ctlList],
      /line 2: .*U\+0001/,
    ],
    [
      'NUL in list',
      ['job', 'start', 'download', U, bucket, '--object-list', nulList],
      /line 1: .*U\+0000 \(NUL\)/,
    ],
    [
      'over-long name',
      ['job', 'start', 'download', U, bucket, '--object-list', longList],
      /1100 bytes .* longer than 1024/,
    ],
    [
      'dot segment',
      ['job', 'start', 'download', U, bucket, '--object-list', dotList],
      /line 2: .*"\." path segment/,
    ],
    ['empty list', ['job', 'start', 'download', U, bucket, '--object-list', emptyList], /has no names/],
    [
      'missing list',
      ['job', 'start', 'download', U, bucket, '--object-list', join(dir, 'nope.txt')],
      /cannot read object list .*ENOENT/,
    ],
    // numeric options
    [
      'window 0',
      ['job', 'start', 'download', `${U}/x`, bucket, '--window', '0'],
      /--window 0: must be in \[1, 64\]/,
    ],
    ['window 65', ['job', 'start', 'download', `${U}/x`, bucket, '--window', '65'], /--window 65/],
    ['max-names 0', ['job', 'start', 'download', `${U}/x`, bucket, '--max-names', '0'], /--max-names 0/],
    ['retries 0', ['job', 'start', 'download', `${U}/x`, bucket, '--retries', '0'], /--retries 0/],
    [
      'negative size',
      ['job', 'start', 'download', `${U}/x`, bucket, '--limit-bph', '-5'],
      /--limit-bph "-5"/,
    ],
    [
      'max-conns too big',
      ['job', 'start', 'download', `${U}/x`, bucket, '--max-conns', '2000'],
      /--max-conns 2000/,
    ],
    [
      'batch-size too big',
      ['job', 'start', 'download', `${U}/x`, bucket, '--batch-size', '10001'],
      /--batch-size 10001/,
    ],
    [
      // With neither --template nor --list, prefetch walks the origin's listing: here there is no origin.
      'prefetch of a whole listing, origin unreachable',
      ['job', 'start', 'prefetch', U, bucket],
      /origin http:\/\/127\.0\.0\.1:9 is unreachable/,
    ],
    [
      'prefetch both',
      ['job', 'start', 'prefetch', U, bucket, '--template', 'a', '--list', absList],
      /at most one of --template or --list/,
    ],
    [
      'descending range',
      ['job', 'start', 'download', `${U}/x-{10..1}.bin`, bucket],
      /position 2: descending range 10\.\.1/,
    ],
    ['unbalanced brace', ['job', 'start', 'download', `${U}/x-{1..3.bin`, bucket], /position \d+/],
    ['zero step', ['job', 'start', 'download', `${U}/x-{1..9..0}.bin`, bucket], /step/],
    [
      'too many names',
      ['job', 'start', 'download', `${U}/x-{1..99999999}.bin`, bucket],
      /too many|10000000|10,000,000/i,
    ],
    ['fmt without range', ['job', 'start', 'download', `${U}/x-%06d.bin`, bucket], /--fmt-end|range/],
    ['bad scheme', ['job', 'start', 'download', 'ftp://h/x-{1..3}', bucket], /unsupported URL scheme "ftp:"/],
    ['credentials in URL', ['job', 'start', 'download', 'http://u:secret@h/x-{1..3}', bucket], /credentials/],
    ['unknown bucket scheme', ['job', 'start', 'download', `${U}/x-{1..3}`, 'gs://b'], /gs/],
    ['invalid s3 bucket name', ['job', 'start', 'download', `${U}/x-{1..3}`, 's3://AB'], /AB|bucket name/i],
    ['dotdot name from template', ['job', 'start', 'download', `${U}/{..,a}/x`, bucket], /\.\./],
    ['dotdot name in list', ['job', 'start', 'download', U, bucket, '--object-list', list], /line 2.*\.\./],
    [
      'duplicate name in list',
      ['job', 'start', 'download', U, bucket, '--object-list', dupList],
      /line 3: duplicate name "a"/,
    ],
    [
      'max-conns 0',
      ['job', 'start', 'download', `${U}/x-{1..3}`, bucket, '--max-conns', '0'],
      /--max-conns 0/,
    ],
    [
      'batch-size not a number',
      ['job', 'start', 'download', `${U}/x-{1..3}`, bucket, '--batch-size', 'abc'],
      /--batch-size "abc"/,
    ],
    [
      'bad size',
      ['job', 'start', 'download', `${U}/x-{1..3}`, bucket, '--limit-bph', '10XB'],
      /--limit-bph "10XB"/,
    ],
    [
      'migrate missing dir',
      ['migrate', join(dir, 'nope'), bucket, '--template', 'a-{1..2}'],
      /is not a directory/,
    ],
    ['template cmd', ['template', 'a-{5..1}'], /descending/],
  ];
  for (const [what, args, re] of cases) {
    const r = await ferry(args, env);
    assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, re, `${what}: message`);
    assert.doesNotMatch(r.stderr, /secret/, `${what}: no secret echoed`);
    assert.ok(!r.stderr.includes('    at '), `${what}: no stack trace`);
    assert.ok(!existsSync(bucket), `${what}: nothing written`);
  }
});

test('bad workflow input fails the workflow with a non-retryable InvalidInput', async (t) => {
  const w = await startTestWorker();
  t.after(() => w.close());
  const dir = tempDir('badwf');
  t.after(() => rmrf(dir));
  const inputs = [
    { source: { kind: 'template', baseUrl: `${U}/`, template: 'x-{9..1}' }, destination: join(dir, 'b1') },
    { source: { kind: 'template', baseUrl: `${U}/`, template: 'x-{1..2}' }, destination: 'gs://nope' },
    { source: { kind: 'template', baseUrl: 'not a url', template: 'x' }, destination: join(dir, 'b3') },
    {
      source: { kind: 'template', baseUrl: `${U}/`, template: 'x' },
      destination: join(dir, 'b4'),
      options: { maxConns: 0 },
    },
  ];
  for (const [i, input] of inputs.entries()) {
    const handle = await w.client.workflow.start(migrationWorkflow, {
      taskQueue: w.taskQueue,
      workflowId: `bad-${i}-${w.taskQueue}`,
      // Deliberately invalid shapes: the workflow's first line must reject them.
      args: [input as never],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `case ${i}: workflow failed`);
    const cause = err.cause;
    assert.ok(cause instanceof ApplicationFailure, `case ${i}: ApplicationFailure`);
    assert.equal(cause.type, 'InvalidInput');
    assert.equal(cause.nonRetryable, true);
    assert.ok(!existsSync(join(dir, `b${i + 1}`)), `case ${i}: nothing written`);
  }
});
