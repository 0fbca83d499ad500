// The template engine's error: stable codes, and the position in the template that is wrong.
import { InputError } from './errors.js';

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
