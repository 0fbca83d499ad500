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

// Public module of the template engine; the work is done in template-parse.ts (text → segments) and
// template-names.ts (segments → names), and the error type lives in template-error.ts.
import { TemplateError, TemplateErrorCode } from './template-error.js';
import { ParsedTemplate } from './template-names.js';
import { countNames, parseSegments } from './template-parse.js';
import type { ParseTemplateOptions, Template } from './template-types.js';

export { TemplateError, TemplateErrorCode } from './template-error.js';
export { MAX_FMT_WIDTH } from './template-parse.js';
export type {
  FmtRange,
  ListSegment,
  LiteralSegment,
  ParseTemplateOptions,
  RangeSegment,
  Template,
  TemplateSegment,
  TemplateSyntax,
} from './template-types.js';

/** Default cap on the number of names: AIStore's `maxTemplateExpansion`. */
export const DEFAULT_MAX_TEMPLATE_NAMES = 10_000_000;

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
