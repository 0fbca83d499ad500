// The prebuilt workflow bundle's inline source map, slimmed: without `sourcesContent` (the text of every
// bundled source file, 1.1 MB of the map's 1.5 MB). The SDK requires an inline map and maps workflow stack
// traces through its `mappings`, which stay; it reads `sourcesContent` only for the enhanced stack trace query
// with the worker option `showStackTraceSources`, which ferry does not set. The map is handed to every workflow
// context, so the sources cost every worker process memory: measured (worker created and polling, no job)
// 201–207 MiB of RSS with them, 184–187 MiB without.
const MARKER = '//# sourceMappingURL=data:application/json;';
const BASE64 = 'base64,';

export function dropSourcesContent(code: string): string {
  const at = code.lastIndexOf(MARKER);
  const data = at < 0 ? -1 : code.indexOf(BASE64, at);
  if (data < 0) return code;
  const start = data + BASE64.length;
  const map = JSON.parse(Buffer.from(code.slice(start).trim(), 'base64').toString('utf8')) as Record<
    string,
    unknown
  >;
  delete map.sourcesContent;
  return code.slice(0, start) + Buffer.from(JSON.stringify(map)).toString('base64');
}
