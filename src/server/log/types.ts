export interface LogOptions {
  /** Roll to a new segment before a write would take the active one past this size. Default 256 MiB. */
  segmentMaxBytes?: number;
  /** "always": fdatasync after every group write. "none" (default): leave flushing to the OS. */
  sync?: "always" | "none";
}

export interface AppendRecord {
  /** Nanoseconds; callers keep timestamps non-decreasing, which `offsetForTimestamp` relies on. */
  timestamp: bigint;
  leaderEpoch: number;
  body: Uint8Array;
}

export interface StoredRecord {
  offset: number;
  timestamp: bigint;
  leaderEpoch: number;
  /** A view into the read's buffer, shared with the other records of the same read. */
  body: Uint8Array;
}

/** What `CommitLog.open` repaired, for the broker to log. */
export interface RecoveryReport {
  /** Bytes of torn or corrupt tail cut from the last segment. */
  truncatedBytes: number;
  /** Why the tail was cut, when it was. */
  truncationReason?: string;
  /** Index files rewritten because they were missing, short or inconsistent with their segment. */
  rebuiltIndexes: string[];
}

/** Counters since open; `writes` < `appends` shows group commit at work. */
export interface LogStats {
  /** Resolved `append` calls. */
  appends: number;
  records: number;
  /** Group writes: each one write call to the active segment (and with sync "always" one fdatasync). */
  writes: number;
  syncs: number;
  bytes: number;
}
