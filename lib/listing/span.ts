// The names of a copy batch's listing span, walked again by the batch itself (names never travel through
// workflow history): at most as many as the scan counted.
import type { CopyBatchInput } from '../../common/schemas.js';
import { toApplicationFailure } from '../classify-error.js';
import { sharedListing } from './cache.js';
import type { FetchListing } from './fetch.js';
import { keyFilter } from './filter.js';
import { listSpan } from './walk.js';

/** The names of a listing batch's span, walked again here: at most as many as the scan counted. */
export async function walkSpan(
  input: CopyBatchInput,
  list: FetchListing | undefined,
  signal: AbortSignal,
): Promise<string[]> {
  const span = input.listing!;
  try {
    return await listSpan(
      input.baseUrl,
      span.afterKey,
      span.lastKey,
      { list: list ?? sharedListing(), signal, accept: span.filter ? keyFilter(span.filter) : undefined },
      input.end - input.start,
    );
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
