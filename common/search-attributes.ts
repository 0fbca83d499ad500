// Search attributes ferry registers on the dev server and sets on every migration, so the Temporal UI and
// `ferry show job` can filter jobs by destination and state without reading histories.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Name → type, in the form `temporal server start-dev --search-attribute` takes. */
export const FERRY_SEARCH_ATTRIBUTES = {
  FerryDestination: 'Keyword',
  FerrySource: 'Keyword',
  FerryState: 'Keyword',
} as const;

export const FerryDestination = defineSearchAttributeKey('FerryDestination', SearchAttributeType.KEYWORD);
export const FerrySource = defineSearchAttributeKey('FerrySource', SearchAttributeType.KEYWORD);
export const FerryState = defineSearchAttributeKey('FerryState', SearchAttributeType.KEYWORD);
