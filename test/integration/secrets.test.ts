// Secrets never enter workflow input, history, search attributes, the UI's summaries or the CLI's output:
// run a migration with credentials in the worker's environment, export every history of the job (all runs,
// the serve child), decode every payload, and scan it all for the secret values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { cliEnv, ferry, scratch } from '../helpers/exec.js';
import { testAddress } from '../helpers/temporal.js';
import { startMinio } from '../../devserver/minio.js';

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAFERRYSECRETTEST1',
  AWS_SECRET_ACCESS_KEY: 'ferry-secret-key-4f1c9e7b2a0d',
  AIS_AUTHN_TOKEN: 'ferry-ais-token-93b2d1e8',
  FERRY_SERVE_TOKEN: 'ferry-serve-token-5a7c3e90',
  TEMPORAL_GRPC_META_X_SECRET: 'ferry-grpc-meta-secret-77',
};

/** Every string reachable in a value, with Uint8Array payload data decoded as UTF-8 (and kept as base64). */
function flatten(v: unknown, out: string[]): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Uint8Array) {
    out.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
  } else if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out.push(k);
      flatten(x, out);
    }
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
}

test('no secret reaches history, visibility, UI metadata or CLI output', async (t) => {
  const [src, out] = scratch(t, 'sec-src', 'sec-out');
  for (let i = 1; i <= 20; i++)
    writeFileSync(join(src, `s-${String(i).padStart(2, '0')}.bin`), randomBytes(2048));
  const env = cliEnv(SECRETS);
  const run = await ferry(
    ['migrate', src, join(out, 'bucket'), '--template', 's-{01..20}.bin', '--batch-size', '4'],
    env,
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const id = run.stdout.split('\n')[0]!.trim();

  const { executions, chars } = await scanJob(t, id, [run.stdout, run.stderr], SECRETS, 's-{01..20}.bin');
  assert.ok(executions >= 2, `scanned the migration and its serve child (${executions} executions)`);
  console.log(`# secrets: scanned ${executions} executions, ${chars} characters, 0 secrets found`);
});

test('S3 keys of a real MinIO never reach history or output', async (t) => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const secrets = {
    AWS_ACCESS_KEY_ID: 'ferryleakcheckkey',
    AWS_SECRET_ACCESS_KEY: `leak-${Date.now()}-f3a9c1d7e5b2`,
  };
  const minio = await startMinio({
    accessKey: secrets.AWS_ACCESS_KEY_ID,
    secretKey: secrets.AWS_SECRET_ACCESS_KEY,
  });
  t.after(() => minio.stop());
  const [src] = scratch(t, 'sec3-src');
  for (let i = 1; i <= 10; i++) writeFileSync(join(src, `k-${i}.bin`), randomBytes(4096));
  const env = cliEnv({
    ...secrets,
    AWS_REGION: minio.region,
    AWS_ENDPOINT_URL: minio.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const run = await ferry(['migrate', src, 's3://leak-check', '--template', 'k-{1..10}.bin'], env);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const id = run.stdout.split('\n')[0]!.trim();
  const { executions, chars } = await scanJob(t, id, [run.stdout, run.stderr], secrets, 's3://leak-check');
  console.log(`# secrets s3: scanned ${executions} executions, ${chars} characters, 0 secrets found`);
});

/** Export and decode every execution of a job, then assert no secret (raw or base64) appears anywhere. */
async function scanJob(
  t: { after: (fn: () => Promise<void>) => void },
  id: string,
  outputs: string[],
  secrets: Record<string, string>,
  mustContain: string,
): Promise<{ executions: number; chars: number }> {
  const connection = await Connection.connect({ address: testAddress() });
  t.after(() => connection.close());
  const client = new Client({ connection });
  const texts: string[] = [...outputs];
  let executions = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${id}'` })) {
    executions++;
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    flatten(await handle.fetchHistory(), texts);
    const desc = await handle.describe();
    flatten(desc.raw, texts);
    flatten(await desc.staticSummary(), texts);
    flatten(await desc.staticDetails(), texts);
    flatten(wf.searchAttributes, texts);
  }
  const haystack = texts.join('\n');
  // A positive control: the scan must see real history content, or "no secret found" would prove nothing.
  assert.ok(haystack.includes(id) && haystack.includes(mustContain), 'the scan sees real history content');
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(!haystack.includes(value), `${name} leaked`);
    assert.ok(!haystack.includes(Buffer.from(value).toString('base64')), `${name} leaked (base64)`);
  }
  return { executions, chars: haystack.length };
}
