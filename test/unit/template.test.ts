import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DEFAULT_MAX_TEMPLATE_NAMES,
  parseTemplate,
  TemplateError,
  TemplateErrorCode,
  type ParseTemplateOptions,
  type Template,
} from '../../common/template.js';

/** Zero-padded decimal range, written out independently of the engine. */
function seq(start: number, end: number, step: number, width: number, wrap = (s: string) => s): string[] {
  const out: string[] = [];
  for (let v = start; v <= end; v += step) out.push(wrap(String(v).padStart(width, '0')));
  return out;
}

/**
 * AIStore's iteration (ParsedTemplate.InitIter/Next in cmn/cos/template.go), re-stated over our parsed segments:
 * one cursor per range starting at `start`; before each name, every exhausted cursor is reset and carries into the
 * previous one; the last cursor advances by `step` after each name. Lists are ranges over item indexes.
 */
function aistoreExpand(t: Template): string[] {
  const vars = t.segments.flatMap((s) =>
    s.kind === 'range'
      ? [
          {
            start: s.start,
            end: s.end,
            step: s.step,
            render: (v: number) => String(v).padStart(s.width, '0'),
          },
        ]
      : s.kind === 'list'
        ? [{ start: 0, end: s.items.length - 1, step: 1, render: (v: number) => s.items[v] ?? '' }]
        : [],
  );
  if (vars.length === 0) return [t.segments.map((s) => (s.kind === 'literal' ? s.text : '')).join('')];
  const at = vars.map((v) => v.start);
  const out: string[] = [];
  for (;;) {
    for (let i = vars.length - 1; i >= 0; i--) {
      if ((at[i] ?? 0) > (vars[i]?.end ?? 0)) {
        if (i === 0) return out;
        at[i] = vars[i]?.start ?? 0;
        at[i - 1] = (at[i - 1] ?? 0) + (vars[i - 1]?.step ?? 1);
      }
    }
    let k = 0;
    out.push(
      t.segments.map((s) => (s.kind === 'literal' ? s.text : (vars[k]?.render(at[k++] ?? 0) ?? ''))).join(''),
    );
    at[vars.length - 1] = (at[vars.length - 1] ?? 0) + (vars[vars.length - 1]?.step ?? 1);
  }
}

interface ExpansionCase {
  template: string;
  opts?: ParseTemplateOptions;
  syntax: Template['syntax'];
  names: string[];
}

// Expected names worked out from AIStore's parser rules; "AIStore test" marks entries from its template_test.go.
const expansions: ExpansionCase[] = [
  { template: 'shard-{1..3}.tar', syntax: 'bash', names: ['shard-1.tar', 'shard-2.tar', 'shard-3.tar'] },
  // width = min(len("1"), len("100")) = 1: no padding at all.
  { template: '{1..100}', syntax: 'bash', names: seq(1, 100, 1, 1) },
  // width = min(3, 2) = 2.
  { template: '{001..10}', syntax: 'bash', names: seq(1, 10, 1, 2) },
  // AIStore test: start 10, end 111, step 2, width 4 -> 0010 ... 0110 (51 names).
  {
    template: 'prefix-{0010..0111..2}-suffix',
    syntax: 'bash',
    names: seq(10, 110, 2, 4, (s) => `prefix-${s}-suffix`),
  },
  { template: '{0010..0111..2}', syntax: 'bash', names: seq(10, 110, 2, 4) },
  // AIStore test "minimal with digit count": width min(1, 2) = 1.
  { template: '{1..02}', syntax: 'bash', names: ['1', '2'] },
  // AIStore test "minimal with special suffix": the trailing "}" is literal.
  { template: '{1..02}}', syntax: 'bash', names: ['1}', '2}'] },
  { template: '{110..220..10}', syntax: 'bash', names: seq(110, 220, 10, 3) },
  // AIStore tests "multi-range template" and "large step".
  {
    template: 'prefix-{0010..0013..2}-gap-{1..2}-suffix',
    syntax: 'bash',
    names: [
      'prefix-0010-gap-1-suffix',
      'prefix-0010-gap-2-suffix',
      'prefix-0012-gap-1-suffix',
      'prefix-0012-gap-2-suffix',
    ],
  },
  {
    template: 'prefix-{0010..0013..2}-gap-{1..2..3}-suffix',
    syntax: 'bash',
    names: ['prefix-0010-gap-1-suffix', 'prefix-0012-gap-1-suffix'],
  },
  { template: '{0..3..5}', syntax: 'bash', names: ['0'] },
  { template: 'x{7..7}', syntax: 'bash', names: ['x7'] },
  // Go's ParseInt accepts a sign, and AIStore's width counts it: min(len("+1"), len("+10")) = 2.
  { template: '{+1..+10}', syntax: 'bash', names: seq(1, 10, 1, 2) },
  { template: '{-0..2}', syntax: 'bash', names: ['0', '1', '2'] },
  // Padding only ever adds zeros; values wider than the width are printed in full (Go's %0*d).
  { template: '{08..10}', syntax: 'bash', names: ['08', '09', '10'] },
  { template: '{8..010}', syntax: 'bash', names: ['8', '9', '10'] },
  // Leading zeros never count toward overflow, only toward the width.
  { template: '{0..0000000000000000000005..00000000000000000002}', syntax: 'bash', names: ['0', '2', '4'] },
  // Bash wins when braces are present: "@" and "%" are then literal text.
  { template: 'a@b{1..2}', syntax: 'bash', names: ['a@b1', 'a@b2'] },
  { template: 'x%d{1..2}', syntax: 'bash', names: ['x%d1', 'x%d2'] },
  // Comma lists (superset of AIStore), alone and mixed with ranges; the last segment varies fastest.
  { template: '{a,b,c}-{1..2}', syntax: 'bash', names: ['a-1', 'a-2', 'b-1', 'b-2', 'c-1', 'c-2'] },
  { template: 'file{,.bak}', syntax: 'bash', names: ['file', 'file.bak'] },
  {
    template: '{train,val}/shard-{00..02}.tar',
    syntax: 'bash',
    names: [
      'train/shard-00.tar',
      'train/shard-01.tar',
      'train/shard-02.tar',
      'val/shard-00.tar',
      'val/shard-01.tar',
      'val/shard-02.tar',
    ],
  },
  // "@" form: 0..N, width = number of digits typed (AIStore tests "minimal", "full featured template").
  { template: '@0010', syntax: 'at', names: seq(0, 10, 1, 4) },
  { template: 'prefix-@010-suffix', syntax: 'at', names: seq(0, 10, 1, 3, (s) => `prefix-${s}-suffix`) },
  { template: '@100', syntax: 'at', names: seq(0, 100, 1, 3) },
  { template: 'pref@9', syntax: 'at', names: seq(0, 9, 1, 1, (s) => `pref${s}`) },
  { template: 'x@0', syntax: 'at', names: ['x0'] },
  { template: 'a@1-b@01', syntax: 'at', names: ['a0-b00', 'a0-b01', 'a1-b00', 'a1-b01'] },
  // "@" wins over "%".
  { template: 'a@1%d', syntax: 'at', names: ['a0%d', 'a1%d'] },
  // fmt form with the explicit range ferry requires.
  {
    template: 'prefix-%06d-suffix',
    opts: { fmt: { end: 2 } },
    syntax: 'fmt',
    names: ['prefix-000000-suffix', 'prefix-000001-suffix', 'prefix-000002-suffix'],
  },
  { template: '%d', opts: { fmt: { end: 10, step: 5 } }, syntax: 'fmt', names: ['0', '5', '10'] },
  { template: 'n-%00d', opts: { fmt: { start: 9, end: 11 } }, syntax: 'fmt', names: ['n-9', 'n-10', 'n-11'] },
  {
    template: '%03d.dat',
    opts: { fmt: { start: 998, end: 1001 } },
    syntax: 'fmt',
    names: ['998.dat', '999.dat', '1000.dat', '1001.dat'],
  },
  // AIStore parses the width with ParseInt, so a "+" sign is accepted.
  { template: '%0+5d', opts: { fmt: { end: 1 } }, syntax: 'fmt', names: ['00000', '00001'] },
  // AIStore test "large number of digits": width 152 is fine.
  { template: '%0152d', opts: { fmt: { end: 0 } }, syntax: 'fmt', names: ['0'.repeat(152)] },
  // Two or more "%" is not an fmt template in AIStore, just text (e.g. URL-encoded names).
  { template: 'a%20b%20c', syntax: 'plain', names: ['a%20b%20c'] },
  { template: 'prefix-%06d-%06d', syntax: 'plain', names: ['prefix-%06d-%06d'] },
  { template: 'abc/hello-world', syntax: 'plain', names: ['abc/hello-world'] },
  { template: 'plain..name', syntax: 'plain', names: ['plain..name'] },
];

void describe('parseTemplate: expansion matches AIStore', () => {
  for (const c of expansions) {
    void it(`${c.template}${c.opts ? ` ${JSON.stringify(c.opts)}` : ''}`, () => {
      const t = parseTemplate(c.template, c.opts);
      assert.equal(t.syntax, c.syntax);
      assert.equal(t.count, c.names.length);
      assert.equal(t.isPlain, c.syntax === 'plain');
      assert.deepEqual([...t.names()], c.names);
      assert.deepEqual(aistoreExpand(t), c.names);
      for (let i = 0; i < c.names.length; i++) assert.equal(t.nameAt(i), c.names[i]);
    });
  }
});

void describe('parseTemplate: segments', () => {
  const cases: { template: string; opts?: ParseTemplateOptions; segments: Template['segments'] }[] = [
    {
      template: 'shard-{001..010..3}.tar',
      segments: [
        { kind: 'literal', text: 'shard-', position: 0 },
        { kind: 'range', start: 1, end: 10, step: 3, width: 3, count: 4, position: 6 },
        { kind: 'literal', text: '.tar', position: 19 },
      ],
    },
    {
      template: '{a,b}{1..2}',
      segments: [
        { kind: 'list', items: ['a', 'b'], count: 2, position: 0 },
        { kind: 'range', start: 1, end: 2, step: 1, width: 1, count: 2, position: 5 },
      ],
    },
    {
      template: 'p@09-q',
      segments: [
        { kind: 'literal', text: 'p', position: 0 },
        { kind: 'range', start: 0, end: 9, step: 1, width: 2, count: 10, position: 1 },
        { kind: 'literal', text: '-q', position: 4 },
      ],
    },
    {
      template: 'x%04dy',
      opts: { fmt: { start: 2, end: 10, step: 4 } },
      segments: [
        { kind: 'literal', text: 'x', position: 0 },
        { kind: 'range', start: 2, end: 10, step: 4, width: 4, count: 3, position: 1 },
        { kind: 'literal', text: 'y', position: 5 },
      ],
    },
    { template: 'only/one', segments: [{ kind: 'literal', text: 'only/one', position: 0 }] },
  ];
  for (const c of cases) {
    void it(c.template, () => assert.deepEqual(parseTemplate(c.template, c.opts).segments, c.segments));
  }
});

interface ErrorCase {
  template: string;
  opts?: ParseTemplateOptions;
  code: TemplateErrorCode;
  position: number;
  /** Expected message, in full when given. */
  message?: string;
}

const errors: ErrorCase[] = [
  {
    template: 'shard-{10..1}.tar',
    code: TemplateErrorCode.DescendingRange,
    position: 6,
    message:
      'invalid template "shard-{10..1}.tar" at position 6: descending range 10..1 (start must be <= end)',
  },
  // AIStore test "start after end".
  { template: 'prefix-{002..001}-suffix', code: TemplateErrorCode.DescendingRange, position: 7 },
  { template: '', code: TemplateErrorCode.Empty, position: 0 },
  { template: '*', code: TemplateErrorCode.Empty, position: 0 },
  // AIStore test "missing }" (its dispatcher would fall through to a literal name; we reject).
  {
    template: 'prefix-{001..009-suffix',
    code: TemplateErrorCode.UnbalancedBrace,
    position: 7,
    message: 'invalid template "prefix-{001..009-suffix" at position 7: "{" is never closed',
  },
  // AIStore test "missing {".
  { template: 'prefix-0010..0111..2}-suffix', code: TemplateErrorCode.UnbalancedBrace, position: 20 },
  { template: 'a}b', code: TemplateErrorCode.UnbalancedBrace, position: 1 },
  { template: '}{1..2}', code: TemplateErrorCode.UnbalancedBrace, position: 0 },
  // A stray "}" is literal only after the last brace expression, as in AIStore.
  { template: '{1..2}x}{3..4}', code: TemplateErrorCode.UnbalancedBrace, position: 7 },
  { template: '{1..2}{', code: TemplateErrorCode.UnbalancedBrace, position: 6 },
  // AIStore tests "nested templates", "interleaving templates".
  { template: '{{}}', code: TemplateErrorCode.NestedBrace, position: 1 },
  { template: '{{1..2}}', code: TemplateErrorCode.NestedBrace, position: 1 },
  { template: '{1..2{3..4}}', code: TemplateErrorCode.NestedBrace, position: 5 },
  { template: '{a,{1..2}}', code: TemplateErrorCode.NestedBrace, position: 3 },
  // AIStore tests "empty template", "too many arms".
  { template: 'prefix-{}-suffix', code: TemplateErrorCode.BadRange, position: 7 },
  { template: '{}', code: TemplateErrorCode.BadRange, position: 0 },
  { template: 'prefix-{00..10..0111..2}-suffix', code: TemplateErrorCode.BadRange, position: 7 },
  { template: 'x{abc}', code: TemplateErrorCode.BadRange, position: 1 },
  // AIStore tests "missing end", "missing start", "missing start and end", "invalid start/end/step".
  { template: 'prefix-{010..}-suffix', code: TemplateErrorCode.BadNumber, position: 13 },
  { template: 'prefix-{..009}-suffix', code: TemplateErrorCode.BadNumber, position: 8 },
  { template: 'prefix-{..}-suffix', code: TemplateErrorCode.BadNumber, position: 8 },
  { template: 'prefix-{0010s..0111..2}-suffix', code: TemplateErrorCode.BadNumber, position: 8 },
  { template: 'prefix-{0010..0111s..2}-suffix', code: TemplateErrorCode.BadNumber, position: 14 },
  { template: 'prefix-{0010..0111..2s}-suffix', code: TemplateErrorCode.BadNumber, position: 20 },
  { template: '{1...5}', code: TemplateErrorCode.BadNumber, position: 4 },
  { template: '{1 ..5}', code: TemplateErrorCode.BadNumber, position: 1 },
  // AIStore's doc comment mentions {a..z}, but its parser rejects letters, and so do we.
  { template: '{a..z}', code: TemplateErrorCode.BadNumber, position: 1 },
  // AIStore tests "negative start", "negative step".
  { template: 'prefix-{-001..009}-suffix', code: TemplateErrorCode.NegativeStart, position: 8 },
  { template: 'prefix-{001..009..-1}-suffix', code: TemplateErrorCode.BadStep, position: 18 },
  { template: '{1..5..0}', code: TemplateErrorCode.BadStep, position: 7 },
  // Check order follows AIStore's validateBoundaries: descending before negative start.
  { template: '{-1..-5}', code: TemplateErrorCode.DescendingRange, position: 0 },
  {
    template: '{0..9007199254740991}',
    opts: { maxNames: Number.MAX_SAFE_INTEGER },
    code: TemplateErrorCode.TooManyNames,
    position: 0,
  },
  { template: '{0..9007199254740992}', code: TemplateErrorCode.NumberOverflow, position: 4 },
  { template: '{99999999999999999999..1}', code: TemplateErrorCode.NumberOverflow, position: 1 },
  { template: 'x@99999999999999999999', code: TemplateErrorCode.NumberOverflow, position: 2 },
  { template: '{a,b,a}', code: TemplateErrorCode.DuplicateItem, position: 5 },
  // AIStore tests "negative end", "repetitive @", "non-digit range".
  { template: 'prefix-@-0001-suffix', code: TemplateErrorCode.AtNeedsDigits, position: 7 },
  { template: 'prefix-@@0010-suffix', code: TemplateErrorCode.AtNeedsDigits, position: 7 },
  { template: 'prefix-@d@0010-suffix', code: TemplateErrorCode.AtNeedsDigits, position: 7 },
  { template: 'a@1-b@', code: TemplateErrorCode.AtNeedsDigits, position: 5 },
  { template: 'user@host', code: TemplateErrorCode.AtNeedsDigits, position: 4 },
  // AIStore fmt tests: "missing d", "% after d", "negative digits", "no digits specified", "no zero specified".
  { template: 'prefix-%06-suffix', code: TemplateErrorCode.BadFmt, position: 7 },
  { template: 'prefix-d%06-suffix', code: TemplateErrorCode.BadFmt, position: 8 },
  { template: 'prefix-%0-6d-suffix', code: TemplateErrorCode.BadFmt, position: 7 },
  { template: 'prefix-%0d-suffix', code: TemplateErrorCode.BadFmt, position: 7 },
  { template: 'prefix-%6d-suffix', code: TemplateErrorCode.BadFmt, position: 7 },
  { template: '100%.txt', code: TemplateErrorCode.BadFmt, position: 3 },
  { template: '%01025d', opts: { fmt: { end: 1 } }, code: TemplateErrorCode.BadFmt, position: 0 },
  {
    template: 'prefix-%06d-suffix',
    code: TemplateErrorCode.FmtNeedsRange,
    position: 7,
    message:
      'invalid template "prefix-%06d-suffix" at position 7: "%06d" has no end: the printf form needs an explicit range (start, end, step)',
  },
  { template: '%d', opts: { fmt: { end: -1 } }, code: TemplateErrorCode.DescendingRange, position: 0 },
  {
    template: '%d',
    opts: { fmt: { start: -2, end: 1 } },
    code: TemplateErrorCode.NegativeStart,
    position: 0,
  },
  { template: 'a%d', opts: { fmt: { end: 5, step: 0 } }, code: TemplateErrorCode.BadStep, position: 1 },
  { template: '%d', opts: { fmt: { end: 2 ** 53 } }, code: TemplateErrorCode.NumberOverflow, position: 0 },
  { template: '%d', opts: { fmt: { end: 1.5 } }, code: TemplateErrorCode.BadNumber, position: 0 },
  {
    template: 'shard-{1..2}',
    opts: { fmt: { end: 3 } },
    code: TemplateErrorCode.FmtRangeUnused,
    position: 0,
  },
  { template: 'plain', opts: { fmt: { end: 3 } }, code: TemplateErrorCode.FmtRangeUnused, position: 0 },
  // Too many names: counted, never expanded; reported at the range that crosses the limit.
  {
    template: '{0..9999}{0..9999}',
    code: TemplateErrorCode.TooManyNames,
    position: 9,
    message:
      'invalid template "{0..9999}{0..9999}" at position 9: expands to 100000000 names, more than the limit of 10000000',
  },
  { template: 'a{1..10}', opts: { maxNames: 9 }, code: TemplateErrorCode.TooManyNames, position: 1 },
  { template: 'x-%d', opts: { fmt: { end: 10_000_000 } }, code: TemplateErrorCode.TooManyNames, position: 2 },
  // Products far beyond 2^53 must not wrap or round into an accepted count.
  {
    template: '{0..9007199254740990}{0..9007199254740990}',
    opts: { maxNames: Number.MAX_SAFE_INTEGER },
    code: TemplateErrorCode.TooManyNames,
    position: 21,
    message:
      'invalid template "{0..9007199254740990}{0..9007199254740990}" at position 21: ' +
      `expands to ${9007199254740991n * 9007199254740991n} names, more than the limit of 9007199254740991`,
  },
];

void describe('parseTemplate: errors say what and where', () => {
  for (const c of errors) {
    void it(`${JSON.stringify(c.template)}${c.opts ? ` ${JSON.stringify(c.opts)}` : ''} -> ${c.code} @${c.position}`, () => {
      assert.throws(
        () => parseTemplate(c.template, c.opts),
        (err: unknown) => {
          assert.ok(err instanceof TemplateError);
          assert.equal(err.name, 'TemplateError');
          assert.equal(err.code, c.code);
          assert.equal(err.position, c.position);
          assert.equal(err.template, c.template);
          assert.ok(
            err.message.startsWith(
              `invalid template ${JSON.stringify(c.template)} at position ${c.position}: `,
            ),
          );
          assert.ok(err.message.endsWith(err.detail));
          if (c.message !== undefined) assert.equal(err.message, c.message);
          return true;
        },
      );
    });
  }
});

void describe('Template: index access and lazy iteration', () => {
  const small = ['{0..4}', 'a-{1..3}-{x,y}-@1', '{0010..0111..7}/{a,b,c}', 'plain', '{1..1}'];

  for (const text of small) {
    const t = parseTemplate(text);
    const all = aistoreExpand(t);

    void it(`${text}: nameAt(i) is the i-th name of the full expansion`, () => {
      assert.equal(t.count, all.length);
      all.forEach((name, i) => assert.equal(t.nameAt(i), name));
    });

    void it(`${text}: names(from, limit) equals slice(from, from + limit)`, () => {
      for (let from = 0; from <= all.length; from++) {
        for (const limit of [undefined, 0, 1, 2, 5, all.length + 3]) {
          const expected = all.slice(from, limit === undefined ? undefined : from + limit);
          assert.deepEqual([...t.names(from, limit)], expected, `from=${from} limit=${String(limit)}`);
        }
      }
    });
  }

  void it('nameAt and names reject out-of-range arguments eagerly', () => {
    const t = parseTemplate('{1..3}');
    for (const i of [-1, 3, 1.5, Number.NaN]) assert.throws(() => t.nameAt(i), RangeError);
    assert.throws(() => t.names(4), RangeError);
    assert.throws(() => t.names(-1), RangeError);
    assert.throws(() => t.names(0, -1), RangeError);
    assert.throws(() => t.names(0, 0.5), RangeError);
    assert.deepEqual([...t.names(3)], []);
  });

  void it('maxNames must be a positive safe integer', () => {
    for (const maxNames of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
      assert.throws(() => parseTemplate('{1..2}', { maxNames }), RangeError);
    }
  });

  void it('a plain template is exactly one name', () => {
    const t = parseTemplate('abc/hello-world');
    assert.equal(t.isPlain, true);
    assert.equal(t.count, 1);
    assert.equal(t.nameAt(0), 'abc/hello-world');
    assert.deepEqual([...t.names()], ['abc/hello-world']);
  });

  void it(`a ${DEFAULT_MAX_TEMPLATE_NAMES}-name template counts and indexes instantly`, () => {
    const started = performance.now();
    const t = parseTemplate('shard-{0000000..9999999}.tar');
    assert.equal(t.count, DEFAULT_MAX_TEMPLATE_NAMES);
    assert.equal(t.nameAt(0), 'shard-0000000.tar');
    assert.equal(t.nameAt(1234567), 'shard-1234567.tar');
    assert.equal(t.nameAt(9_999_999), 'shard-9999999.tar');
    assert.deepEqual([...t.names(9_999_998)], ['shard-9999998.tar', 'shard-9999999.tar']);
    // Laziness: taking three names of ten million must not produce the rest.
    const it3: string[] = [];
    for (const name of t.names()) {
      it3.push(name);
      if (it3.length === 3) break;
    }
    assert.deepEqual(it3, ['shard-0000000.tar', 'shard-0000001.tar', 'shard-0000002.tar']);
    // Expanding ten million names would take seconds; 1 s leaves room for a loaded machine.
    assert.ok(performance.now() - started < 1000, 'should not expand');
  });

  void it('indexes a 10^12-name template (with a raised cap) by mixed radix', () => {
    const t = parseTemplate('{000000..999999}/{000000..999999}', { maxNames: 1e12 });
    assert.equal(t.count, 1e12);
    assert.equal(t.nameAt(0), '000000/000000');
    assert.equal(t.nameAt(1_000_001), '000001/000001');
    assert.equal(t.nameAt(123_456_654_321), '123456/654321');
    assert.equal(t.nameAt(1e12 - 1), '999999/999999');
    assert.deepEqual([...t.names(999_999, 3)], ['000000/999999', '000001/000000', '000001/000001']);
  });

  void it('nameAt agrees with iteration across carries in a multi-range template', () => {
    const t = parseTemplate('{00..99..3}-{a,b,c}-@007-{5..50..9}', { maxNames: 1e6 });
    let i = 0;
    for (const name of t.names()) assert.equal(t.nameAt(i++), name);
    assert.equal(i, t.count);
    assert.equal(t.count, 34 * 3 * 6); // "@007" is literal in a bash template
  });
});
