// The text of a job's workflow histories (every run), with every payload decoded: for "no object name in
// history" checks. Payload data are bytes (JSON-encoded values); JSON.stringify of a history would spell them as
// numbers and no name could ever match, so each byte array is decoded as UTF-8 instead.
import type { Client } from '@temporalio/client';

export async function historyText(client: Client, workflowId: string): Promise<string> {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    else if (typeof v === 'string') parts.push(v);
  };
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    walk(await client.workflow.getHandle(workflowId, wf.runId).fetchHistory());
  if (parts.length === 0) throw new Error(`no history for ${workflowId}`);
  return parts.join('\n');
}

/** Undefined when `name` is not in `text`; else the text around its first occurrence, for the assertion. */
export function leakOf(text: string, name: string): string | undefined {
  const at = text.indexOf(name);
  return at < 0 ? undefined : `"${name}" is in history: …${text.slice(Math.max(0, at - 300), at + 100)}…`;
}
