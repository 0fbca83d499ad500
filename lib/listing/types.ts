// What a directory listing says about one entry, whichever format it came in.
export interface ListingEntry {
  name: string;
  type: 'file' | 'dir';
  /** Bytes, when the listing states them exactly. */
  size?: number;
  /** What the listing says besides (modification time): tells a symlink loop from a look-alike directory. */
  stamp?: string;
}

/** One object of a walk: its key (path relative to the walk's root, '/'-separated) and size if known. */
export interface WalkItem {
  key: string;
  size?: number;
}
