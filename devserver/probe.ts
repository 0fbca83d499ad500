// HTTP readiness probes for the servers in devserver/. undici directly (not global fetch), so a probe has
// explicit timeouts and always drains its body.
import { request } from 'undici';

/** True when GET `url` answers 200 within `timeoutMs`; throws on connection errors (waitFor retries). */
export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  await res.body.dump();
  return res.statusCode === 200;
}

/** GET `url` and parse JSON; `undefined` unless the answer is 200. */
export async function httpJson<T>(url: string, timeoutMs = 2000): Promise<T | undefined> {
  const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return undefined;
  }
  return (await res.body.json()) as T;
}

/** GET `url` as text; `undefined` unless the answer is 200. */
export async function httpText(url: string, timeoutMs = 2000): Promise<string | undefined> {
  const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return undefined;
  }
  return res.body.text();
}
