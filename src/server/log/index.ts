export { CommitLog } from "./commit-log.js";
export { CorruptRecordError, LogClosedError, LogFailedError } from "./errors.js";
export { DEFAULT_SEGMENT_MAX_BYTES } from "./log-options.js";
export type {
  AppendRecord,
  LogOptions,
  LogStats,
  RecoveryReport,
  StoredRecord,
} from "./types.js";
