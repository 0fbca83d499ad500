import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { dropSourcesContent } from '../../worker/bundle-map.js';
import { PREBUILT_BUNDLE } from '../../worker/index.js';

const MARKER = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';
const mapOf = (code: string): Record<string, unknown> =>
  JSON.parse(
    Buffer.from(code.slice(code.lastIndexOf('base64,') + 'base64,'.length), 'base64').toString('utf8'),
  ) as Record<string, unknown>;

describe('workflow bundle source map', () => {
  it('drops the sources text and keeps everything else, code untouched', () => {
    const map = {
      version: 3,
      sources: ['a.ts', 'b.ts'],
      sourcesContent: ['const a = 1;', 'const b = 2;'],
      names: [],
      mappings: 'AAAA;AACA',
    };
    const code = `var x = 1;\n${MARKER}${Buffer.from(JSON.stringify(map)).toString('base64')}`;
    const out = dropSourcesContent(code);
    assert.ok(out.startsWith('var x = 1;\n'));
    const { sourcesContent, ...rest } = map;
    assert.equal(sourcesContent.length, 2);
    assert.deepEqual(mapOf(out), rest);
  });

  it('leaves code without an inline map as it is', () => {
    assert.equal(dropSourcesContent('var x = 1;'), 'var x = 1;');
  });

  it('the prebuilt bundle (npm run build) has mappings for its sources and no sources text', () => {
    const map = mapOf(readFileSync(PREBUILT_BUNDLE, 'utf8'));
    assert.equal(map.sourcesContent, undefined);
    assert.ok(Array.isArray(map.sources) && map.sources.length > 10, 'sources listed');
    assert.ok(typeof map.mappings === 'string' && map.mappings.length > 10_000, 'mappings kept');
  });
});
