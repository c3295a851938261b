export {
  type Chunk,
  ChunkAssembler,
  ChunkError,
  chunkHeaderBytes,
  decodeChunk,
  encodeChunk,
  splitIntoChunks,
} from "./chunks.js";
export {
  decodeConfChange,
  decodeMessage,
  encodeConfChange,
  encodeMessage,
} from "./codec.js";
export { checkConfChange, confStatesEqual, isMember, makeConfState } from "./conf-state.js";
export type { RaftConfig } from "./config.js";
export {
  CompactedError,
  ConfChangeError,
  CorruptStorageError,
  DecodeError,
  NotLeaderError,
  ProposalDroppedError,
  RaftInvariantError,
  UnavailableError,
} from "./errors.js";
export { FileStorage, type FileStorageOptions } from "./file-storage.js";
export { isPristine, MemoryStorage } from "./memory-storage.js";
export type * from "./messages.js";
export type { ProgressStatus, RaftStatus, SoftState } from "./raft.js";
export { type RandomSource, SeededRandom, systemRandom } from "./random.js";
export {
  type ApplyBatch,
  type Proposal,
  RawNode,
  type Ready,
  type ReadyHandler,
  type SyncReadyHandler,
} from "./raw-node.js";
export {
  ENTRY_OVERHEAD_BYTES,
  entrySize,
  type InitialState,
  type PersistentStorage,
  persistUpdate,
  persistUpdateSync,
  type Storage,
  type StorageUpdate,
} from "./storage.js";
export * from "./types.js";
