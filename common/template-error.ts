// The template engine's error: stable codes, and the position in the template that is wrong.

/** Stable error codes of {@link TemplateError}; callers branch on these, not on message text. */
export const TemplateErrorCode = {
  Empty: 'TEMPLATE_EMPTY',
  UnbalancedBrace: 'TEMPLATE_UNBALANCED_BRACE',
  NestedBrace: 'TEMPLATE_NESTED_BRACE',
  BadRange: 'TEMPLATE_BAD_RANGE',
  BadNumber: 'TEMPLATE_BAD_NUMBER',
  DescendingRange: 'TEMPLATE_DESCENDING_RANGE',
  NegativeStart: 'TEMPLATE_NEGATIVE_START',
  BadStep: 'TEMPLATE_BAD_STEP',
  NumberOverflow: 'TEMPLATE_NUMBER_OVERFLOW',
  DuplicateItem: 'TEMPLATE_DUPLICATE_ITEM',
  AtNeedsDigits: 'TEMPLATE_AT_NEEDS_DIGITS',
  BadFmt: 'TEMPLATE_BAD_FMT',
  FmtNeedsRange: 'TEMPLATE_FMT_NEEDS_RANGE',
  FmtRangeUnused: 'TEMPLATE_FMT_RANGE_UNUSED',
  TooManyNames: 'TEMPLATE_TOO_MANY_NAMES',
} as const;
export type TemplateErrorCode = (typeof TemplateErrorCode)[keyof typeof TemplateErrorCode];

/** A template the user typed is wrong: says what ({@link code}, message) and where ({@link position}). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** 0-based index into {@link template} of the offending character. */
  readonly position: number;
  /** What is wrong, without the "invalid template ... at position ..." preamble. */
  readonly detail: string;

  constructor(
    readonly code: TemplateErrorCode,
    readonly template: string,
    position: number,
    detail: string,
  ) {
    super(`invalid template ${JSON.stringify(template)} at position ${position}: ${detail}`);
    this.position = position;
    this.detail = detail;
  }
}
