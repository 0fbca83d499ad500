/**
 * AIStore-compatible object-name templates: parse once, count without expanding, compute any name by index.
 *
 * Forms, tried in AIStore's order (cmn/cos/template.go, `NewParsedTemplate`):
 *
 * 1. **bash** — brace ranges `shard-{0010..0111..2}.tar`; several per template, the last varies fastest.
 *    Zero-pad width is `min(len(start), len(end))` of the numbers *as typed* (so `{1..100}` is unpadded and
 *    `{001..10}` pads to 2). Numbers accept an optional sign like Go's `strconv.ParseInt`, and the sign counts
 *    toward the width (`{+1..+10}` pads to 2), exactly as in AIStore. Superset: comma lists `{train,val}`.
 * 2. **at** — `shard-@00100.tar` means 0..100, padded to the digit count (so `@100` yields `000`..`100`).
 *    Several `@` are allowed; every `@` must be followed by digits.
 * 3. **fmt** — `shard-%06d.tar`. AIStore leaves it unbounded (0..MaxInt64-1); ferry requires an explicit
 *    range in {@link ParseTemplateOptions.fmt}. Exactly one `%` makes the fmt form; with two or more `%`
 *    AIStore treats the text as a literal (e.g. URL-encoded names), and so do we.
 * 4. **plain** — anything else is exactly one name.
 *
 * Deliberate differences from AIStore (all are inputs AIStore itself treats inconsistently):
 * - A `{` that is never closed, or a `}` that closes nothing before the last brace expression, is
 *   `UnbalancedBrace`. AIStore falls through to the literal/`@`/`%` forms when the text has a `{` but
 *   no `}` at all (its own tests list these as errors of the bash parser). A stray `}` *after* the last brace
 *   expression stays literal text, because AIStore's tests accept `{1..02}}` as range + `}`.
 * - `""` and `"*"` (AIStore's match-all) are `Empty`: a copy job names its objects.
 * - Sizes are capped by {@link ParseTemplateOptions.maxNames} when parsing; AIStore caps only `Expand()`.
 *
 * Pure and deterministic: imported by workflow code.
 */
import { InputError } from './errors.js';

/** Default cap on the number of names: AIStore's `maxTemplateExpansion`. */
export const DEFAULT_MAX_TEMPLATE_NAMES = 10_000_000;

/**
 * The fmt form's zero-pad width can be at most this: a wider name cannot be an object name anyway (1024 bytes),
 * and an unbounded width would let one template allocate arbitrarily large strings.
 */
export const MAX_FMT_WIDTH = 1024;

/** Stable error codes of {@link TemplateError}; callers branch on these, not on message text. */
export const TemplateErrorCode = {
  Empty: 'FERRY_ERR_TEMPLATE_EMPTY',
  UnbalancedBrace: 'FERRY_ERR_TEMPLATE_UNBALANCED_BRACE',
  NestedBrace: 'FERRY_ERR_TEMPLATE_NESTED_BRACE',
  BadRange: 'FERRY_ERR_TEMPLATE_BAD_RANGE',
  BadNumber: 'FERRY_ERR_TEMPLATE_BAD_NUMBER',
  DescendingRange: 'FERRY_ERR_TEMPLATE_DESCENDING_RANGE',
  NegativeStart: 'FERRY_ERR_TEMPLATE_NEGATIVE_START',
  BadStep: 'FERRY_ERR_TEMPLATE_BAD_STEP',
  NumberOverflow: 'FERRY_ERR_TEMPLATE_NUMBER_OVERFLOW',
  DuplicateItem: 'FERRY_ERR_TEMPLATE_DUPLICATE_ITEM',
  AtNeedsDigits: 'FERRY_ERR_TEMPLATE_AT_NEEDS_DIGITS',
  BadFmt: 'FERRY_ERR_TEMPLATE_BAD_FMT',
  FmtNeedsRange: 'FERRY_ERR_TEMPLATE_FMT_NEEDS_RANGE',
  FmtRangeUnused: 'FERRY_ERR_TEMPLATE_FMT_RANGE_UNUSED',
  TooManyNames: 'FERRY_ERR_TEMPLATE_TOO_MANY_NAMES',
} as const;
export type TemplateErrorCode = (typeof TemplateErrorCode)[keyof typeof TemplateErrorCode];

/** A template the user typed is wrong: says what ({@link code}, message) and where ({@link position}). */
export class TemplateError extends InputError {
  override readonly name = 'TemplateError';
  /** 0-based index into {@link template} of the offending character. */
  readonly position: number;
  /** What is wrong, without the "invalid template ... at position ..." preamble. */
  readonly detail: string;

  constructor(
    override readonly code: TemplateErrorCode,
    readonly template: string,
    position: number,
    detail: string,
  ) {
    super(code, `invalid template ${JSON.stringify(template)} at position ${position}: ${detail}`);
    this.position = position;
    this.detail = detail;
  }
}

/** Which of AIStore's forms the template was parsed as. */
export type TemplateSyntax = 'plain' | 'bash' | 'at' | 'fmt';

/** Text copied verbatim into every name. */
export interface LiteralSegment {
  readonly kind: 'literal';
  readonly text: string;
  /** Index of the segment's first character in the template. */
  readonly position: number;
}

/** An arithmetic progression `start, start+step, ... <= end`, each value zero-padded to `width`. */
export interface RangeSegment {
  readonly kind: 'range';
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly width: number;
  /** Number of values: `floor((end - start) / step) + 1`. */
  readonly count: number;
  /** Index of the `{`, `@` or `%` that opens the range. */
  readonly position: number;
}

/** A comma list `{a,b,c}`: one of the literal alternatives, in order. */
export interface ListSegment {
  readonly kind: 'list';
  readonly items: readonly string[];
  readonly count: number;
  /** Index of the opening `{`. */
  readonly position: number;
}

export type TemplateSegment = LiteralSegment | RangeSegment | ListSegment;

/** Explicit range for the fmt form (`%06d`), which has none of its own. */
export interface FmtRange {
  /** @default 0 */
  start?: number;
  /** Inclusive, like the bash form's end. */
  end: number;
  /** @default 1 */
  step?: number;
}

export interface ParseTemplateOptions {
  /**
   * Reject templates that expand to more names than this (checked by counting, never by expanding).
   * @default {@link DEFAULT_MAX_TEMPLATE_NAMES}
   */
  maxNames?: number;
  /** Range for the fmt form; required by it and rejected for every other form (it would be silently ignored). */
  fmt?: FmtRange;
}

/** A parsed template: a lazily indexable list of {@link count} names. */
export interface Template {
  /** The template as given. */
  readonly text: string;
  readonly syntax: TemplateSyntax;
  /** Parsed pieces, in order; concatenating one choice of each gives a name. For display and planning. */
  readonly segments: readonly TemplateSegment[];
  /** Number of names, computed from the segments (never by expanding). At least 1. */
  readonly count: number;
  /** True when nothing varies: the template is exactly one name. */
  readonly isPlain: boolean;
  /**
   * The `index`-th name of the full expansion, in AIStore's order (last range fastest). O(segments).
   * @throws RangeError unless `index` is an integer in `[0, count)`.
   */
  nameAt(index: number): string;
  /**
   * Lazily yields names `from`, `from+1`, ... — at most `limit` of them (default: to the end).
   * @throws RangeError (eagerly, at call time) unless `0 <= from <= count` and `limit >= 0` are integers.
   */
  names(from?: number, limit?: number): Generator<string, void, undefined>;
}

/**
 * Parses an AIStore-style template (see the module comment for the accepted forms).
 * @throws TemplateError when the template is malformed or too large.
 * @throws RangeError when `opts.maxNames` is not a positive safe integer (a programming error).
 */
export function parseTemplate(text: string, opts: ParseTemplateOptions = {}): Template {
  const maxNames = opts.maxNames ?? DEFAULT_MAX_TEMPLATE_NAMES;
  if (!Number.isSafeInteger(maxNames) || maxNames < 1) {
    throw new RangeError(`maxNames must be a positive safe integer, got ${String(maxNames)}`);
  }
  if (text === '' || text === '*') {
    throw new TemplateError(
      TemplateErrorCode.Empty,
      text,
      0,
      text === '' ? 'empty template' : '"*" (match-all) names no objects; give the object names or a range',
    );
  }

  const { syntax, segments } = parseSegments(text, opts.fmt);
  if (opts.fmt !== undefined && syntax !== 'fmt') {
    throw new TemplateError(
      TemplateErrorCode.FmtRangeUnused,
      text,
      0,
      `a range for the %d form was given, but this is ${syntax === 'plain' ? 'a plain name' : `a ${syntax} template`}`,
    );
  }
  return new ParsedTemplate(text, syntax, segments, countNames(text, segments, maxNames));
}

// --- internal ---

type VariableSegment = RangeSegment | ListSegment;

function isVariable(s: TemplateSegment): s is VariableSegment {
  return s.kind !== 'literal';
}

class ParsedTemplate implements Template {
  readonly isPlain: boolean;
  readonly #variables: readonly VariableSegment[];

  constructor(
    readonly text: string,
    readonly syntax: TemplateSyntax,
    readonly segments: readonly TemplateSegment[],
    readonly count: number,
  ) {
    this.#variables = segments.filter(isVariable);
    this.isPlain = this.#variables.length === 0;
  }

  nameAt(index: number): string {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`name index ${String(index)} is out of range [0, ${this.count})`);
    }
    return this.#render(this.#digitsOf(index));
  }

  names(from = 0, limit?: number): Generator<string, void, undefined> {
    if (!Number.isSafeInteger(from) || from < 0 || from > this.count) {
      throw new RangeError(`names(from): ${String(from)} is out of range [0, ${this.count}]`);
    }
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new RangeError(`names(from, limit): limit must be a non-negative integer, got ${String(limit)}`);
    }
    const n = Math.min(this.count - from, limit ?? Number.MAX_SAFE_INTEGER);
    return this.#iterate(from, n);
  }

  // Odometer over the variable segments: one mixed-radix increment per name instead of a division chain.
  *#iterate(from: number, n: number): Generator<string, void, undefined> {
    if (n === 0) return;
    const digits = this.#digitsOf(from);
    for (let produced = 0; ;) {
      yield this.#render(digits);
      if (++produced === n) return;
      for (let k = digits.length - 1; k >= 0; k--) {
        const next = (digits[k] ?? 0) + 1;
        if (next < (this.#variables[k]?.count ?? 1)) {
          digits[k] = next;
          break;
        }
        digits[k] = 0;
      }
    }
  }

  // Mixed-radix decomposition, last segment least significant. Exact: every value is a safe integer.
  #digitsOf(index: number): number[] {
    const digits = new Array<number>(this.#variables.length);
    let rest = index;
    for (let k = this.#variables.length - 1; k >= 0; k--) {
      const radix = this.#variables[k]?.count ?? 1;
      const digit = rest % radix;
      digits[k] = digit;
      rest = (rest - digit) / radix;
    }
    return digits;
  }

  #render(digits: readonly number[]): string {
    let name = '';
    let k = 0;
    for (const seg of this.segments) {
      if (seg.kind === 'literal') {
        name += seg.text;
        continue;
      }
      const digit = digits[k++] ?? 0;
      name +=
        seg.kind === 'range'
          ? String(seg.start + digit * seg.step).padStart(seg.width, '0') // Go's %0*d for non-negatives
          : (seg.items[digit] ?? '');
    }
    return name;
  }
}

function parseSegments(
  text: string,
  fmt: FmtRange | undefined,
): { syntax: TemplateSyntax; segments: TemplateSegment[] } {
  // AIStore tries bash first whenever braces are present, then at, then fmt; the first form that applies wins
  // and the others' special characters become literal text.
  if (text.includes('{') || text.includes('}')) return { syntax: 'bash', segments: parseBash(text) };
  if (text.includes('@')) return { syntax: 'at', segments: parseAt(text) };
  const percent = text.indexOf('%');
  if (percent !== -1 && text.indexOf('%', percent + 1) === -1) {
    return { syntax: 'fmt', segments: parseFmt(text, percent, fmt) };
  }
  return { syntax: 'plain', segments: [{ kind: 'literal', text, position: 0 }] };
}

function parseBash(text: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let literalStart = 0;
  let sawBraces = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{') {
      const close = text.indexOf('}', i + 1);
      if (close === -1) {
        throw new TemplateError(TemplateErrorCode.UnbalancedBrace, text, i, '"{" is never closed');
      }
      const inner = text.indexOf('{', i + 1);
      if (inner !== -1 && inner < close) {
        throw new TemplateError(
          TemplateErrorCode.NestedBrace,
          text,
          inner,
          '"{" inside braces (nesting is not supported)',
        );
      }
      pushLiteral(segments, text, literalStart, i);
      segments.push(parseBraceBody(text, i, close));
      sawBraces = true;
      i = literalStart = close + 1;
      continue;
    }
    // After the last brace expression AIStore keeps a stray "}" as literal text (its test `{1..02}}`);
    // anywhere else it is a parse error there too.
    if (c === '}' && (!sawBraces || text.includes('{', i + 1))) {
      throw new TemplateError(TemplateErrorCode.UnbalancedBrace, text, i, '"}" has no matching "{"');
    }
    i++;
  }
  pushLiteral(segments, text, literalStart, text.length);
  return segments;
}

function parseBraceBody(text: string, open: number, close: number): VariableSegment {
  const body = text.slice(open + 1, close);
  if (body.includes(',')) return parseList(text, open, body);

  const parts = body.split('..');
  if (body === '' || parts.length < 2 || parts.length > 3) {
    throw new TemplateError(
      TemplateErrorCode.BadRange,
      text,
      open,
      `"{${body}}" is neither a range {start..end} / {start..end..step} nor a list {a,b,...}`,
    );
  }
  const offsets: number[] = [];
  let offset = open + 1;
  for (const p of parts) {
    offsets.push(offset);
    offset += p.length + 2;
  }
  const [startText = '', endText = '', stepText] = parts;
  const startPos = offsets[0] ?? open;
  const endPos = offsets[1] ?? open;
  const stepPos = offsets[2] ?? open;
  const start = parseInteger(text, startText, startPos);
  const end = parseInteger(text, endText, endPos);
  const step = stepText === undefined ? 1 : parseInteger(text, stepText, stepPos);
  return makeRange(text, { start, end, step }, Math.min(startText.length, endText.length), {
    range: open,
    start: startPos,
    step: stepPos,
    shown: `${startText}..${endText}`,
  });
}

function parseList(text: string, open: number, body: string): ListSegment {
  const items = body.split(',');
  const seen = new Set<string>();
  let offset = open + 1;
  for (const item of items) {
    // Two equal alternatives name the same object twice: always a typo, never a second object.
    if (seen.has(item)) {
      throw new TemplateError(
        TemplateErrorCode.DuplicateItem,
        text,
        offset,
        `${JSON.stringify(item)} appears twice in the list`,
      );
    }
    seen.add(item);
    offset += item.length + 1;
  }
  return { kind: 'list', items, count: items.length, position: open };
}

function parseAt(text: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let literalStart = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', literalStart)) {
    let end = at + 1;
    while (end < text.length && isAsciiDigit(text.charCodeAt(end))) end++;
    const digits = text.slice(at + 1, end);
    if (digits === '') {
      throw new TemplateError(
        TemplateErrorCode.AtNeedsDigits,
        text,
        at,
        '"@" must be followed by digits (e.g. @00100 for 00000..00100)',
      );
    }
    pushLiteral(segments, text, literalStart, at);
    const last = parseInteger(text, digits, at + 1);
    segments.push(
      makeRange(text, { start: 0, end: last, step: 1 }, digits.length, {
        range: at,
        start: at,
        step: at,
        shown: `0..${digits}`,
      }),
    );
    literalStart = end;
  }
  pushLiteral(segments, text, literalStart, text.length);
  return segments;
}

function parseFmt(text: string, percent: number, fmt: FmtRange | undefined): TemplateSegment[] {
  const bad = (why: string): TemplateError =>
    new TemplateError(
      TemplateErrorCode.BadFmt,
      text,
      percent,
      `${why} (expecting %d or %0<width>d, e.g. %06d)`,
    );

  // Like AIStore: the directive runs from "%" to the first "d" after it.
  const d = text.indexOf('d', percent);
  if (d === -1) throw bad('"%" without a closing "d"');
  const spec = text.slice(percent + 1, d);
  let width = 0;
  if (spec !== '') {
    // AIStore: "0" followed by something strconv.ParseInt accepts and that is >= 0 ("%0+5d" is width 5).
    if (spec.length === 1 || !spec.startsWith('0') || !/^[+-]?[0-9]+$/.test(spec.slice(1))) {
      throw bad(`"%${spec}d" is not a zero-padded width`);
    }
    if (spec[1] === '-' && /[1-9]/.test(spec)) throw bad(`negative width in "%${spec}d"`);
    const digits = spec
      .slice(1)
      .replace(/^[+-]/, '')
      .replace(/^0+(?=.)/, '');
    if (digits.length > String(MAX_FMT_WIDTH).length || Number(digits) > MAX_FMT_WIDTH) {
      throw bad(`width in "%${spec}d" is larger than ${MAX_FMT_WIDTH}`);
    }
    width = Number(digits);
  }

  if (fmt === undefined || typeof fmt.end !== 'number') {
    throw new TemplateError(
      TemplateErrorCode.FmtNeedsRange,
      text,
      percent,
      `"%${spec}d" has no end: the printf form needs an explicit range (start, end, step)`,
    );
  }
  const start = checkOption(text, percent, 'start', fmt.start ?? 0);
  const end = checkOption(text, percent, 'end', fmt.end);
  const step = checkOption(text, percent, 'step', fmt.step ?? 1);

  const segments: TemplateSegment[] = [];
  pushLiteral(segments, text, 0, percent);
  segments.push(
    makeRange(text, { start, end, step }, width, {
      range: percent,
      start: percent,
      step: percent,
      shown: `${start}..${end}`,
    }),
  );
  pushLiteral(segments, text, d + 1, text.length);
  return segments;
}

function checkOption(text: string, position: number, name: string, value: number): number {
  if (!Number.isInteger(value)) {
    throw new TemplateError(
      TemplateErrorCode.BadNumber,
      text,
      position,
      `fmt range ${name} ${String(value)} is not an integer`,
    );
  }
  if (!Number.isSafeInteger(value)) {
    throw new TemplateError(
      TemplateErrorCode.NumberOverflow,
      text,
      position,
      `fmt range ${name} ${value} is beyond ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return value;
}

/** Where to point when a range is rejected, and how to show it. */
interface RangePositions {
  range: number;
  start: number;
  step: number;
  shown: string;
}

function makeRange(
  text: string,
  r: { start: number; end: number; step: number },
  width: number,
  at: RangePositions,
): RangeSegment {
  // Same checks, in the same order, as AIStore's validateBoundaries.
  if (r.start > r.end) {
    throw new TemplateError(
      TemplateErrorCode.DescendingRange,
      text,
      at.range,
      `descending range ${at.shown} (start must be <= end)`,
    );
  }
  if (r.start < 0) {
    throw new TemplateError(
      TemplateErrorCode.NegativeStart,
      text,
      at.start,
      `negative start ${r.start} (ranges start at 0 or above)`,
    );
  }
  if (r.step <= 0) {
    throw new TemplateError(
      TemplateErrorCode.BadStep,
      text,
      at.step,
      `step ${r.step} must be greater than 0`,
    );
  }
  // Exact integer division: end - start and its remainder are safe integers, so no rounding can creep in.
  const span = r.end - r.start;
  const count = (span - (span % r.step)) / r.step + 1;
  return { kind: 'range', start: r.start, end: r.end, step: r.step, width, count, position: at.range };
}

/** Go's strconv.ParseInt(s, 10, 64) syntax (optional sign, ASCII digits), limited to safe integers. */
function parseInteger(text: string, s: string, position: number): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new TemplateError(
      TemplateErrorCode.BadNumber,
      text,
      position,
      s === '' ? 'missing number' : `${JSON.stringify(s)} is not a decimal integer`,
    );
  }
  const digits = s.replace(/^[+-]/, '').replace(/^0+(?=.)/, '');
  // 16 digits is the most a safe integer has; checking length first keeps Number() exact.
  if (digits.length > 16 || Number(digits) > Number.MAX_SAFE_INTEGER) {
    throw new TemplateError(
      TemplateErrorCode.NumberOverflow,
      text,
      position,
      `${s} is beyond ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  const value = Number(digits);
  return s.startsWith('-') && value !== 0 ? -value : value;
}

function countNames(text: string, segments: readonly TemplateSegment[], maxNames: number): number {
  let count = 1;
  for (const seg of segments) {
    if (!isVariable(seg)) continue;
    // count and seg.count are safe integers, so a product <= MAX_SAFE_INTEGER is exact, and a larger one rounds
    // to >= 2^53 > maxNames: the comparison is right either way, without overflow.
    if (count * seg.count > maxNames) {
      let total = 1n;
      for (const s of segments) if (isVariable(s)) total *= BigInt(s.count);
      throw new TemplateError(
        TemplateErrorCode.TooManyNames,
        text,
        seg.position,
        `expands to ${total} names, more than the limit of ${maxNames}`,
      );
    }
    count *= seg.count;
  }
  return count;
}

function pushLiteral(segments: TemplateSegment[], text: string, from: number, to: number): void {
  if (to > from) segments.push({ kind: 'literal', text: text.slice(from, to), position: from });
}

function isAsciiDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
