// Names from parsed segments: the i-th name by mixed-radix decomposition, runs of names by an odometer.
import { isVariable } from './template-types.js';
import type { Template, TemplateSegment, TemplateSyntax, VariableSegment } from './template-types.js';

/** The {@link Template} that parseTemplate returns. */
export class ParsedTemplate implements Template {
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
