export { CommitLog } from "./commit-log.js";
export {
  AppendFailedError,
  CorruptRecordError,
  LogClosedError,
  LogFailedError,
} from "./errors.js";
export {
  FileHandlePool,
  type FileHandlePoolStats,
  pooledFileSystem,
} from "./file-handle-pool.js";
export { writeFileAtomic } from "./file-io.js";
export { type LogFile, type LogFileSystem, nodeFileSystem, type OpenMode } from "./file-system.js";
export {
  FRAMED_BATCH_BYTES,
  type FramedRecords,
  FramedRecordsBuilder,
  recycleFramedRecords,
} from "./framed-records.js";
export type { EpochEntry } from "./leader-epoch-cache.js";
export type { LogDamage } from "./log-damage.js";
export { DEFAULT_RECOVERY_POINT_BYTES, DEFAULT_SEGMENT_MAX_BYTES } from "./log-options.js";
export { messageKey } from "./message-key.js";
export type {
  AppendRecord,
  CompactionResult,
  LogOptions,
  LogStats,
  RecoveryReport,
  RetentionLimits,
  RetentionResult,
  StoredRecord,
} from "./types.js";
