// Template text → segments, in AIStore's order of forms (bash, at, fmt, plain), and the name count.
import { TemplateError, TemplateErrorCode } from './template-error.js';
import { isVariable } from './template-types.js';
import type {
  FmtRange,
  ListSegment,
  RangeSegment,
  TemplateSegment,
  TemplateSyntax,
  VariableSegment,
} from './template-types.js';

/**
 * The fmt form's zero-pad width can be at most this: a wider name cannot be an object name anyway (1024 bytes),
 * and an unbounded width would let one template allocate arbitrarily large strings.
 */
export const MAX_FMT_WIDTH = 1024;

/** Splits a template into segments, choosing the form the way AIStore does. */
export function parseSegments(
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

/** The number of names the segments expand to, without expanding; refuses more than `maxNames`. */
export function countNames(text: string, segments: readonly TemplateSegment[], maxNames: number): number {
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

// --- internal ---

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

function pushLiteral(segments: TemplateSegment[], text: string, from: number, to: number): void {
  if (to > from) segments.push({ kind: 'literal', text: text.slice(from, to), position: from });
}

function isAsciiDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
