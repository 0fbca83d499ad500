// The shapes of a parsed template: its segments, the fmt range option, and the Template interface.

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

/** A segment that varies from name to name. */
export type VariableSegment = RangeSegment | ListSegment;

/** Type guard: ranges and lists vary, literals do not. */
export function isVariable(s: TemplateSegment): s is VariableSegment {
  return s.kind !== 'literal';
}
