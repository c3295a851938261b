import type { LogFileSystem } from "./file-system.js";
import type { LogDamage } from "./log-damage.js";

export interface LogOptions {
  /** Roll to a new segment before a write would take the active one past this size. Default 256 MiB. */
  segmentMaxBytes?: number;
  /**
   * Roll to a new segment before an append when the active segment's first record is older
   * than this (by its timestamp against the wall clock). 0 (default): never roll by age.
   */
  segmentMaxAgeMs?: number;
  /** "always": fdatasync after every group write. "none" (default): leave flushing to the OS. */
  sync?: "always" | "none";
  /**
   * Write a recovery point (sync log and index, then checkpoint their size) whenever this many
   * bytes were appended since the last one, bounding what recovery scans. Default 16 MiB.
   */
  recoveryPointBytes?: number;
  /** The key compaction groups records by; records without one are always kept. */
  keyOf?: (body: Uint8Array) => Uint8Array | undefined;
  /** The file layer underneath the log: the real file system unless a test injects faults. */
  fs?: LogFileSystem;
  /**
   * Keep `<dir>.log-extent.checkpoint` beside the log's directory (the broker's partitions: in
   * their stream directory), so that losing the whole directory is told from a new log.
   * Default false: the log writes nothing outside its directory.
   */
  extentBesideDir?: boolean;
  /**
   * Told of damage found after open (a read hitting a damaged record, an index rebuilt), for
   * the broker to log; what open() finds is in `CommitLog.recovery`. Must not throw.
   */
  notice?: (message: string, details: Record<string, unknown>) => void;
}

export interface AppendRecord {
  /**
   * The offset to store the record at; absent: the next one. A follower copies its leader's
   * offsets, which skip the gaps compaction left. Must be at least the log's next offset.
   */
  offset?: number;
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

/** What `CommitLog.open` repaired or found, for the broker to log. */
export interface RecoveryReport {
  /** Bytes of torn or corrupt tail cut from the last segment. */
  truncatedBytes: number;
  /** Why the tail was cut, when it was. */
  truncationReason?: string;
  /** Where the cut tail started, when it was cut. */
  truncatedFrom?: { segment: string; offset: number; position: number };
  /** Index files rewritten because they were missing, short or inconsistent with their segment. */
  rebuiltIndexes: string[];
  /** Bytes of records read to recover the last segment: only those past the recovery point. */
  scannedBytes: number;
  /** Why the recovery point was missing, unreadable or not usable, forcing a full scan. */
  recoveryPointIgnored?: string;
  /** Sealed segments whose records are damaged past a valid prefix; reads there fail. */
  damagedSegments: { segment: string; offset: number; position: number; reason: string }[];
  /**
   * Offsets found damaged or missing at open (as `CommitLog.damage()` lists them afterwards,
   * with what earlier runs recorded): never truncated, never served, never reused.
   */
  damage: LogDamage[];
  /** What became of a compaction interrupted by a crash: "completed" or "rolled back". */
  compaction?: "completed" | "rolled back";
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
  /** Recovery points written. */
  recoveryPoints: number;
}

export interface RetentionLimits {
  /** Keep at most this many bytes of segments (the active one always kept). 0/absent: no limit. */
  maxBytes?: number;
  /** Keep at most this many records. 0/absent: no limit. */
  maxMessages?: number;
  /** Delete sealed segments whose newest record is older than this. 0/absent: no limit. */
  maxAgeMs?: number;
  /** The wall clock in milliseconds; defaults to Date.now(). */
  nowMs?: number;
}

export interface RetentionResult {
  /** Base offsets of the deleted segments. */
  deletedSegments: number[];
  deletedRecords: number;
  deletedBytes: number;
  /** The log's oldest offset afterwards. */
  oldestOffset: number;
}

export interface CompactionResult {
  recordsBefore: number;
  recordsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}
