/**
 * Hand-written protobuf codecs for every message of proto/api.proto (package `proto`).
 *
 * Conventions: `encodeX` omits proto3 defaults and undefined fields; `decodeX` returns an object
 * with every field present at its proto3 default, except optional sub-messages and the
 * flattened Nullable* wrappers, which are `undefined` when absent. Unknown fields are skipped.
 * int64/uint64 map to `number`, except nanosecond timestamps, which are `bigint`.
 * Decoded `bytes` fields are views into the input buffer, not copies.
 * A malformed input makes `decodeX` throw an Error naming the message.
 */
import pb from "google-protobuf";
import { encodeMessageFast } from "./message-codec.js";

export { encodeMessageEnvelopeFields } from "./message-codec.js";

const { BinaryReader, BinaryWriter } = pb;
type Reader = pb.BinaryReader;
type Writer = pb.BinaryWriter;

// ---------------------------------------------------------------------------------------------
// Enums

export const AckPolicy = { LEADER: 0, ALL: 1, NONE: 2 } as const;
export type AckPolicy = (typeof AckPolicy)[keyof typeof AckPolicy];

export const StartPosition = {
  NEW_ONLY: 0,
  OFFSET: 1,
  EARLIEST: 2,
  LATEST: 3,
  TIMESTAMP: 4,
} as const;
export type StartPosition = (typeof StartPosition)[keyof typeof StartPosition];

export const StopPosition = {
  STOP_ON_CANCEL: 0,
  STOP_OFFSET: 1,
  STOP_LATEST: 2,
  STOP_TIMESTAMP: 3,
} as const;
export type StopPosition = (typeof StopPosition)[keyof typeof StopPosition];

export const ActivityStreamOp = {
  CREATE_STREAM: 0,
  DELETE_STREAM: 1,
  PAUSE_STREAM: 2,
  RESUME_STREAM: 3,
  SET_STREAM_READONLY: 4,
  JOIN_CONSUMER_GROUP: 5,
  LEAVE_CONSUMER_GROUP: 6,
} as const;
export type ActivityStreamOp = (typeof ActivityStreamOp)[keyof typeof ActivityStreamOp];

/** PublishAsyncError.Code */
export const PublishAsyncErrorCode = {
  UNKNOWN: 0,
  BAD_REQUEST: 1,
  NOT_FOUND: 2,
  INTERNAL: 3,
  READONLY: 4,
  INCORRECT_OFFSET: 5,
  ENCRYPTION_FAILED: 6,
  PERMISSION_DENIED: 7,
} as const;
export type PublishAsyncErrorCode =
  (typeof PublishAsyncErrorCode)[keyof typeof PublishAsyncErrorCode];

/** StreamMetadata.Error */
export const StreamMetadataError = { OK: 0, UNKNOWN_STREAM: 1 } as const;
export type StreamMetadataError = (typeof StreamMetadataError)[keyof typeof StreamMetadataError];

/** ConsumerGroupMetadata.Error */
export const ConsumerGroupMetadataError = { OK: 0, UNKNOWN_GROUP: 1 } as const;
export type ConsumerGroupMetadataError =
  (typeof ConsumerGroupMetadataError)[keyof typeof ConsumerGroupMetadataError];

/** Ack.Error */
export const AckError = {
  OK: 0,
  UNKNOWN: 1,
  INCORRECT_OFFSET: 2,
  TOO_LARGE: 3,
  ENCRYPTION: 4,
} as const;
export type AckError = (typeof AckError)[keyof typeof AckError];

// ---------------------------------------------------------------------------------------------
// Message types

/** What `encodeX` accepts: any subset of the fields, recursively. */
export type MessageInit<T> = T extends string | number | boolean | bigint | Uint8Array | undefined
  ? T
  : T extends readonly (infer E)[]
    ? MessageInit<E>[]
    : { [K in keyof T]?: MessageInit<T[K]> };

/** A message without fields (the RPC responses that carry nothing). */
export type EmptyMessage = Record<string, never>;

export interface NullableInt64 {
  value: number;
}
export interface NullableInt32 {
  value: number;
}
export interface NullableBool {
  value: boolean;
}

export interface CreateStreamRequest {
  subject: string;
  name: string;
  group: string;
  replicationFactor: number;
  partitions: number;
  retentionMaxBytes?: number;
  retentionMaxMessages?: number;
  retentionMaxAge?: number;
  cleanerInterval?: number;
  segmentMaxBytes?: number;
  segmentMaxAge?: number;
  compactMaxGoroutines?: number;
  compactEnabled?: boolean;
  autoPauseTime?: number;
  autoPauseDisableIfSubscribers?: boolean;
  minIsr?: number;
  optimisticConcurrencyControl?: boolean;
  encryption?: boolean;
}
export type CreateStreamResponse = EmptyMessage;

export interface DeleteStreamRequest {
  name: string;
}
export type DeleteStreamResponse = EmptyMessage;

export interface PauseStreamRequest {
  name: string;
  partitions: number[];
  resumeAll: boolean;
}
export type PauseStreamResponse = EmptyMessage;

export interface SetStreamReadonlyRequest {
  name: string;
  partitions: number[];
  readonly: boolean;
}
export type SetStreamReadonlyResponse = EmptyMessage;

export interface Consumer {
  groupId: string;
  groupEpoch: number;
  consumerId: string;
}

export interface SubscribeRequest {
  stream: string;
  partition: number;
  startPosition: StartPosition;
  startOffset: number;
  startTimestamp: bigint;
  readISRReplica: boolean;
  resume: boolean;
  stopPosition: StopPosition;
  stopOffset: number;
  stopTimestamp: bigint;
  consumer?: Consumer;
}

export interface FetchMetadataRequest {
  streams: string[];
  groups: string[];
}

export interface FetchMetadataResponse {
  brokers: Broker[];
  streamMetadata: StreamMetadata[];
  groupMetadata: ConsumerGroupMetadata[];
}

export interface FetchPartitionMetadataRequest {
  stream: string;
  partition: number;
}

export interface FetchPartitionMetadataResponse {
  metadata?: PartitionMetadata;
}

export interface PublishRequest {
  key: Uint8Array;
  value: Uint8Array;
  stream: string;
  partition: number;
  headers: Record<string, Uint8Array>;
  ackInbox: string;
  correlationId: string;
  ackPolicy: AckPolicy;
  expectedOffset: number;
}

export interface PublishAsyncError {
  code: PublishAsyncErrorCode;
  message: string;
}

export interface PublishResponse {
  ack?: Ack;
  asyncError?: PublishAsyncError;
  correlationId: string;
}

export interface PublishToSubjectRequest {
  key: Uint8Array;
  value: Uint8Array;
  subject: string;
  headers: Record<string, Uint8Array>;
  ackInbox: string;
  correlationId: string;
  ackPolicy: AckPolicy;
}

export interface PublishToSubjectResponse {
  ack?: Ack;
}

export interface SetCursorRequest {
  stream: string;
  partition: number;
  cursorId: string;
  offset: number;
}
export type SetCursorResponse = EmptyMessage;

export interface FetchCursorRequest {
  stream: string;
  partition: number;
  cursorId: string;
}

export interface FetchCursorResponse {
  offset: number;
}

export interface JoinConsumerGroupRequest {
  groupId: string;
  consumerId: string;
  streams: string[];
}

export interface JoinConsumerGroupResponse {
  coordinator: string;
  epoch: number;
  consumerTimeout: number;
  coordinatorTimeout: number;
}

export interface LeaveConsumerGroupRequest {
  groupId: string;
  consumerId: string;
}
export type LeaveConsumerGroupResponse = EmptyMessage;

export interface FetchConsumerGroupAssignmentsRequest {
  groupId: string;
  consumerId: string;
  epoch: number;
}

export interface PartitionAssignment {
  stream: string;
  partitions: number[];
}

export interface FetchConsumerGroupAssignmentsResponse {
  epoch: number;
  assignments: PartitionAssignment[];
}

export interface ReportConsumerGroupCoordinatorRequest {
  groupId: string;
  consumerId: string;
  coordinator: string;
  epoch: number;
}
export type ReportConsumerGroupCoordinatorResponse = EmptyMessage;

export interface Broker {
  id: string;
  host: string;
  port: number;
  partitionCount: number;
  leaderCount: number;
}

export interface StreamMetadata {
  name: string;
  subject: string;
  error: StreamMetadataError;
  partitions: Record<number, PartitionMetadata>;
  creationTimestamp: bigint;
}

export interface ConsumerGroupMetadata {
  groupId: string;
  error: ConsumerGroupMetadataError;
  coordinator: string;
  epoch: number;
}

export interface PartitionEventTimestamps {
  firstTimestamp: bigint;
  latestTimestamp: bigint;
}

export interface PartitionMetadata {
  id: number;
  leader: string;
  replicas: string[];
  isr: string[];
  highWatermark: number;
  newestOffset: number;
  paused: boolean;
  readonly: boolean;
  messagesReceivedTimestamps?: PartitionEventTimestamps;
  pauseTimestamps?: PartitionEventTimestamps;
  readonlyTimestamps?: PartitionEventTimestamps;
}

export interface Message {
  offset: number;
  key: Uint8Array;
  value: Uint8Array;
  timestamp: bigint;
  stream: string;
  partition: number;
  subject: string;
  replySubject: string;
  headers: Record<string, Uint8Array>;
  ackInbox: string;
  correlationId: string;
  ackPolicy: AckPolicy;
}

export interface Ack {
  stream: string;
  partitionSubject: string;
  msgSubject: string;
  offset: number;
  ackInbox: string;
  correlationId: string;
  ackPolicy: AckPolicy;
  receptionTimestamp: bigint;
  commitTimestamp: bigint;
  ackError: AckError;
}

export interface CreateStreamOp {
  stream: string;
  partitions: number[];
}

export interface DeleteStreamOp {
  stream: string;
}

export interface PauseStreamOp {
  stream: string;
  partitions: number[];
  resumeAll: boolean;
}

export interface ResumeStreamOp {
  stream: string;
  partitions: number[];
}

export interface SetStreamReadonlyOp {
  stream: string;
  partitions: number[];
  readonly: boolean;
}

export interface JoinConsumerGroupOp {
  groupId: string;
  consumerId: string;
  streams: string[];
}

export interface LeaveConsumerGroupOp {
  groupId: string;
  consumerId: string;
  expired: boolean;
}

export interface ActivityStreamEvent {
  id: number;
  op: ActivityStreamOp;
  createStreamOp?: CreateStreamOp;
  deleteStreamOp?: DeleteStreamOp;
  pauseStreamOp?: PauseStreamOp;
  resumeStreamOp?: ResumeStreamOp;
  setStreamReadonlyOp?: SetStreamReadonlyOp;
  joinConsumerGroupOp?: JoinConsumerGroupOp;
  leaveConsumerGroupOp?: LeaveConsumerGroupOp;
}

// ---------------------------------------------------------------------------------------------
// Shared machinery

const EMPTY_BYTES = new Uint8Array(0);

type Write<T> = (m: MessageInit<T>, w: Writer) => void;
type Read<T> = (r: Reader) => T;

function encodeWith<T>(m: MessageInit<T>, write: Write<T>): Uint8Array {
  const w = new BinaryWriter();
  write(m, w);
  return w.getResultBuffer();
}

function decodeWith<T>(name: string, bytes: Uint8Array, read: Read<T>): T {
  const r = BinaryReader.alloc(bytes);
  try {
    return read(r);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`malformed protobuf ${name} (${bytes.length} bytes): ${reason}`);
  } finally {
    r.free();
  }
}

interface SubRead<T> {
  read: Read<T>;
  value: T | undefined;
}

function runSubRead(box: SubRead<unknown>, r: Reader): void {
  box.value = box.read(r);
}

/** Reads the length-delimited sub-message at the reader's current field. */
function readSub<T>(r: Reader, read: Read<T>): T {
  const box: SubRead<T> = { read, value: undefined };
  r.readMessage(box, runSubRead);
  return box.value as T;
}

function writeSub<T>(w: Writer, field: number, m: MessageInit<T> | undefined, write: Write<T>) {
  if (m == null) return;
  w.beginSubMessage(field);
  write(m, w);
  w.endSubMessage(field);
}

function writeSubs<T>(
  w: Writer,
  field: number,
  items: MessageInit<T>[] | undefined,
  write: Write<T>,
) {
  if (!items) return;
  for (const item of items) {
    w.beginSubMessage(field);
    write(item, w);
    w.endSubMessage(field);
  }
}

function writeStrings(w: Writer, field: number, items: string[] | undefined): void {
  if (!items) return;
  for (const item of items) w.writeString(field, item);
}

function writeInt32s(w: Writer, field: number, items: number[] | undefined): void {
  if (items && items.length > 0) w.writePackedInt32(field, items);
}

/** Repeated int32: accepts the packed form (proto3 default) and the unpacked form. */
function readInt32s(r: Reader, into: number[]): void {
  if (r.isDelimited()) {
    for (const v of r.readPackedInt32()) into.push(v);
  } else {
    into.push(r.readInt32());
  }
}

function writeBytes(w: Writer, field: number, value: Uint8Array | undefined, name: string): void {
  if (value == null || value.length === 0) return;
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name}: expected a Uint8Array, got ${typeof value}`);
  }
  w.writeBytes(field, value);
}

function writeTimestamp(w: Writer, field: number, value: bigint | undefined): void {
  if (value) w.writeInt64String(field, value.toString());
}

function readTimestamp(r: Reader): bigint {
  return BigInt(r.readInt64String());
}

/** Assigns without ever touching the prototype, whatever the key (`__proto__` included). */
function setOwn<V>(target: Record<string | number, V>, key: string | number, value: V): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

function writeBytesMap(
  w: Writer,
  field: number,
  map: { [key: string]: Uint8Array | undefined } | undefined,
  name: string,
): void {
  if (!map) return;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue;
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(
        `${name}[${JSON.stringify(key)}]: expected a Uint8Array, got ${typeof value}`,
      );
    }
    w.beginSubMessage(field);
    w.writeString(1, key);
    w.writeBytes(2, value);
    w.endSubMessage(field);
  }
}

interface BytesMapEntry {
  key: string;
  value: Uint8Array;
}

function readBytesMapEntry(entry: BytesMapEntry, r: Reader): void {
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        entry.key = r.readString();
        break;
      case 2:
        entry.value = r.readBytes();
        break;
      default:
        r.skipField();
    }
  }
}

function readBytesMapEntryInto(r: Reader, into: Record<string, Uint8Array>): void {
  const entry: BytesMapEntry = { key: "", value: EMPTY_BYTES };
  r.readMessage(entry, readBytesMapEntry);
  setOwn(into, entry.key, entry.value);
}

function writeWrappedInt64(w: Writer, field: number, value: number | undefined): void {
  if (value == null) return;
  w.beginSubMessage(field);
  if (value) w.writeInt64(1, value);
  w.endSubMessage(field);
}

function writeWrappedInt32(w: Writer, field: number, value: number | undefined): void {
  if (value == null) return;
  w.beginSubMessage(field);
  if (value) w.writeInt32(1, value);
  w.endSubMessage(field);
}

function writeWrappedBool(w: Writer, field: number, value: boolean | undefined): void {
  if (value == null) return;
  w.beginSubMessage(field);
  if (value) w.writeBool(1, true);
  w.endSubMessage(field);
}

function readWrappedInt64(r: Reader): number {
  let value = 0;
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) value = r.readInt64();
    else r.skipField();
  }
  return value;
}

function readWrappedInt32(r: Reader): number {
  let value = 0;
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) value = r.readInt32();
    else r.skipField();
  }
  return value;
}

function readWrappedBool(r: Reader): boolean {
  let value = false;
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) value = r.readBool();
    else r.skipField();
  }
  return value;
}

/** Reads a message that has no fields of its own (skipping any unknown ones). */
function readEmpty(r: Reader): EmptyMessage {
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    r.skipField();
  }
  return {};
}

function writeEmpty(): void {}

// ---------------------------------------------------------------------------------------------
// Nullable wrappers

function writeNullableInt64(m: MessageInit<NullableInt64>, w: Writer): void {
  if (m.value) w.writeInt64(1, m.value);
}
function readNullableInt64(r: Reader): NullableInt64 {
  return { value: readWrappedInt64(r) };
}
export function encodeNullableInt64(m: MessageInit<NullableInt64>): Uint8Array {
  return encodeWith(m, writeNullableInt64);
}
export function decodeNullableInt64(b: Uint8Array): NullableInt64 {
  return decodeWith("NullableInt64", b, readNullableInt64);
}

function writeNullableInt32(m: MessageInit<NullableInt32>, w: Writer): void {
  if (m.value) w.writeInt32(1, m.value);
}
function readNullableInt32(r: Reader): NullableInt32 {
  return { value: readWrappedInt32(r) };
}
export function encodeNullableInt32(m: MessageInit<NullableInt32>): Uint8Array {
  return encodeWith(m, writeNullableInt32);
}
export function decodeNullableInt32(b: Uint8Array): NullableInt32 {
  return decodeWith("NullableInt32", b, readNullableInt32);
}

function writeNullableBool(m: MessageInit<NullableBool>, w: Writer): void {
  if (m.value) w.writeBool(1, true);
}
function readNullableBool(r: Reader): NullableBool {
  return { value: readWrappedBool(r) };
}
export function encodeNullableBool(m: MessageInit<NullableBool>): Uint8Array {
  return encodeWith(m, writeNullableBool);
}
export function decodeNullableBool(b: Uint8Array): NullableBool {
  return decodeWith("NullableBool", b, readNullableBool);
}

// ---------------------------------------------------------------------------------------------
// Streams

function writeCreateStreamRequest(m: MessageInit<CreateStreamRequest>, w: Writer): void {
  if (m.subject) w.writeString(1, m.subject);
  if (m.name) w.writeString(2, m.name);
  if (m.group) w.writeString(3, m.group);
  if (m.replicationFactor) w.writeInt32(4, m.replicationFactor);
  if (m.partitions) w.writeInt32(5, m.partitions);
  writeWrappedInt64(w, 6, m.retentionMaxBytes);
  writeWrappedInt64(w, 7, m.retentionMaxMessages);
  writeWrappedInt64(w, 8, m.retentionMaxAge);
  writeWrappedInt64(w, 9, m.cleanerInterval);
  writeWrappedInt64(w, 10, m.segmentMaxBytes);
  writeWrappedInt64(w, 11, m.segmentMaxAge);
  writeWrappedInt32(w, 12, m.compactMaxGoroutines);
  writeWrappedBool(w, 13, m.compactEnabled);
  writeWrappedInt64(w, 14, m.autoPauseTime);
  writeWrappedBool(w, 15, m.autoPauseDisableIfSubscribers);
  writeWrappedInt32(w, 16, m.minIsr);
  writeWrappedBool(w, 17, m.optimisticConcurrencyControl);
  writeWrappedBool(w, 18, m.encryption);
}

function readCreateStreamRequest(r: Reader): CreateStreamRequest {
  const m: CreateStreamRequest = {
    subject: "",
    name: "",
    group: "",
    replicationFactor: 0,
    partitions: 0,
    retentionMaxBytes: undefined,
    retentionMaxMessages: undefined,
    retentionMaxAge: undefined,
    cleanerInterval: undefined,
    segmentMaxBytes: undefined,
    segmentMaxAge: undefined,
    compactMaxGoroutines: undefined,
    compactEnabled: undefined,
    autoPauseTime: undefined,
    autoPauseDisableIfSubscribers: undefined,
    minIsr: undefined,
    optimisticConcurrencyControl: undefined,
    encryption: undefined,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.subject = r.readString();
        break;
      case 2:
        m.name = r.readString();
        break;
      case 3:
        m.group = r.readString();
        break;
      case 4:
        m.replicationFactor = r.readInt32();
        break;
      case 5:
        m.partitions = r.readInt32();
        break;
      case 6:
        m.retentionMaxBytes = readSub(r, readWrappedInt64);
        break;
      case 7:
        m.retentionMaxMessages = readSub(r, readWrappedInt64);
        break;
      case 8:
        m.retentionMaxAge = readSub(r, readWrappedInt64);
        break;
      case 9:
        m.cleanerInterval = readSub(r, readWrappedInt64);
        break;
      case 10:
        m.segmentMaxBytes = readSub(r, readWrappedInt64);
        break;
      case 11:
        m.segmentMaxAge = readSub(r, readWrappedInt64);
        break;
      case 12:
        m.compactMaxGoroutines = readSub(r, readWrappedInt32);
        break;
      case 13:
        m.compactEnabled = readSub(r, readWrappedBool);
        break;
      case 14:
        m.autoPauseTime = readSub(r, readWrappedInt64);
        break;
      case 15:
        m.autoPauseDisableIfSubscribers = readSub(r, readWrappedBool);
        break;
      case 16:
        m.minIsr = readSub(r, readWrappedInt32);
        break;
      case 17:
        m.optimisticConcurrencyControl = readSub(r, readWrappedBool);
        break;
      case 18:
        m.encryption = readSub(r, readWrappedBool);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeCreateStreamRequest(m: MessageInit<CreateStreamRequest>): Uint8Array {
  return encodeWith(m, writeCreateStreamRequest);
}
export function decodeCreateStreamRequest(b: Uint8Array): CreateStreamRequest {
  return decodeWith("CreateStreamRequest", b, readCreateStreamRequest);
}

export function encodeCreateStreamResponse(m: MessageInit<CreateStreamResponse>): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeCreateStreamResponse(b: Uint8Array): CreateStreamResponse {
  return decodeWith("CreateStreamResponse", b, readEmpty);
}

function writeDeleteStreamRequest(m: MessageInit<DeleteStreamRequest>, w: Writer): void {
  if (m.name) w.writeString(1, m.name);
}

function readDeleteStreamRequest(r: Reader): DeleteStreamRequest {
  const m: DeleteStreamRequest = { name: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) m.name = r.readString();
    else r.skipField();
  }
  return m;
}

export function encodeDeleteStreamRequest(m: MessageInit<DeleteStreamRequest>): Uint8Array {
  return encodeWith(m, writeDeleteStreamRequest);
}
export function decodeDeleteStreamRequest(b: Uint8Array): DeleteStreamRequest {
  return decodeWith("DeleteStreamRequest", b, readDeleteStreamRequest);
}

export function encodeDeleteStreamResponse(m: MessageInit<DeleteStreamResponse>): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeDeleteStreamResponse(b: Uint8Array): DeleteStreamResponse {
  return decodeWith("DeleteStreamResponse", b, readEmpty);
}

function writePauseStreamRequest(m: MessageInit<PauseStreamRequest>, w: Writer): void {
  if (m.name) w.writeString(1, m.name);
  writeInt32s(w, 2, m.partitions);
  if (m.resumeAll) w.writeBool(3, true);
}

function readPauseStreamRequest(r: Reader): PauseStreamRequest {
  const m: PauseStreamRequest = { name: "", partitions: [], resumeAll: false };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.name = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      case 3:
        m.resumeAll = r.readBool();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePauseStreamRequest(m: MessageInit<PauseStreamRequest>): Uint8Array {
  return encodeWith(m, writePauseStreamRequest);
}
export function decodePauseStreamRequest(b: Uint8Array): PauseStreamRequest {
  return decodeWith("PauseStreamRequest", b, readPauseStreamRequest);
}

export function encodePauseStreamResponse(m: MessageInit<PauseStreamResponse>): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodePauseStreamResponse(b: Uint8Array): PauseStreamResponse {
  return decodeWith("PauseStreamResponse", b, readEmpty);
}

function writeSetStreamReadonlyRequest(m: MessageInit<SetStreamReadonlyRequest>, w: Writer): void {
  if (m.name) w.writeString(1, m.name);
  writeInt32s(w, 2, m.partitions);
  if (m.readonly) w.writeBool(3, true);
}

function readSetStreamReadonlyRequest(r: Reader): SetStreamReadonlyRequest {
  const m: SetStreamReadonlyRequest = { name: "", partitions: [], readonly: false };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.name = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      case 3:
        m.readonly = r.readBool();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeSetStreamReadonlyRequest(
  m: MessageInit<SetStreamReadonlyRequest>,
): Uint8Array {
  return encodeWith(m, writeSetStreamReadonlyRequest);
}
export function decodeSetStreamReadonlyRequest(b: Uint8Array): SetStreamReadonlyRequest {
  return decodeWith("SetStreamReadonlyRequest", b, readSetStreamReadonlyRequest);
}

export function encodeSetStreamReadonlyResponse(
  m: MessageInit<SetStreamReadonlyResponse>,
): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeSetStreamReadonlyResponse(b: Uint8Array): SetStreamReadonlyResponse {
  return decodeWith("SetStreamReadonlyResponse", b, readEmpty);
}

// ---------------------------------------------------------------------------------------------
// Subscribe

function writeConsumer(m: MessageInit<Consumer>, w: Writer): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.groupEpoch) w.writeUint64(2, m.groupEpoch);
  if (m.consumerId) w.writeString(3, m.consumerId);
}

function readConsumer(r: Reader): Consumer {
  const m: Consumer = { groupId: "", groupEpoch: 0, consumerId: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.groupEpoch = r.readUint64();
        break;
      case 3:
        m.consumerId = r.readString();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeConsumer(m: MessageInit<Consumer>): Uint8Array {
  return encodeWith(m, writeConsumer);
}
export function decodeConsumer(b: Uint8Array): Consumer {
  return decodeWith("Consumer", b, readConsumer);
}

function writeSubscribeRequest(m: MessageInit<SubscribeRequest>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  if (m.partition) w.writeInt32(2, m.partition);
  if (m.startPosition) w.writeEnum(3, m.startPosition);
  if (m.startOffset) w.writeInt64(4, m.startOffset);
  writeTimestamp(w, 5, m.startTimestamp);
  if (m.readISRReplica) w.writeBool(6, true);
  if (m.resume) w.writeBool(7, true);
  if (m.stopPosition) w.writeEnum(8, m.stopPosition);
  if (m.stopOffset) w.writeInt64(9, m.stopOffset);
  writeTimestamp(w, 10, m.stopTimestamp);
  writeSub(w, 11, m.consumer, writeConsumer);
}

function readSubscribeRequest(r: Reader): SubscribeRequest {
  const m: SubscribeRequest = {
    stream: "",
    partition: 0,
    startPosition: 0,
    startOffset: 0,
    startTimestamp: 0n,
    readISRReplica: false,
    resume: false,
    stopPosition: 0,
    stopOffset: 0,
    stopTimestamp: 0n,
    consumer: undefined,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        m.partition = r.readInt32();
        break;
      case 3:
        m.startPosition = r.readEnum() as StartPosition;
        break;
      case 4:
        m.startOffset = r.readInt64();
        break;
      case 5:
        m.startTimestamp = readTimestamp(r);
        break;
      case 6:
        m.readISRReplica = r.readBool();
        break;
      case 7:
        m.resume = r.readBool();
        break;
      case 8:
        m.stopPosition = r.readEnum() as StopPosition;
        break;
      case 9:
        m.stopOffset = r.readInt64();
        break;
      case 10:
        m.stopTimestamp = readTimestamp(r);
        break;
      case 11:
        m.consumer = readSub(r, readConsumer);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeSubscribeRequest(m: MessageInit<SubscribeRequest>): Uint8Array {
  return encodeWith(m, writeSubscribeRequest);
}
export function decodeSubscribeRequest(b: Uint8Array): SubscribeRequest {
  return decodeWith("SubscribeRequest", b, readSubscribeRequest);
}

// ---------------------------------------------------------------------------------------------
// Metadata

function writeFetchMetadataRequest(m: MessageInit<FetchMetadataRequest>, w: Writer): void {
  writeStrings(w, 1, m.streams);
  writeStrings(w, 2, m.groups);
}

function readFetchMetadataRequest(r: Reader): FetchMetadataRequest {
  const m: FetchMetadataRequest = { streams: [], groups: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.streams.push(r.readString());
        break;
      case 2:
        m.groups.push(r.readString());
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchMetadataRequest(m: MessageInit<FetchMetadataRequest>): Uint8Array {
  return encodeWith(m, writeFetchMetadataRequest);
}
export function decodeFetchMetadataRequest(b: Uint8Array): FetchMetadataRequest {
  return decodeWith("FetchMetadataRequest", b, readFetchMetadataRequest);
}

function writeBroker(m: MessageInit<Broker>, w: Writer): void {
  if (m.id) w.writeString(1, m.id);
  if (m.host) w.writeString(2, m.host);
  if (m.port) w.writeInt32(3, m.port);
  if (m.partitionCount) w.writeInt32(4, m.partitionCount);
  if (m.leaderCount) w.writeInt32(5, m.leaderCount);
}

function readBroker(r: Reader): Broker {
  const m: Broker = { id: "", host: "", port: 0, partitionCount: 0, leaderCount: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.id = r.readString();
        break;
      case 2:
        m.host = r.readString();
        break;
      case 3:
        m.port = r.readInt32();
        break;
      case 4:
        m.partitionCount = r.readInt32();
        break;
      case 5:
        m.leaderCount = r.readInt32();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeBroker(m: MessageInit<Broker>): Uint8Array {
  return encodeWith(m, writeBroker);
}
export function decodeBroker(b: Uint8Array): Broker {
  return decodeWith("Broker", b, readBroker);
}

function writePartitionEventTimestamps(m: MessageInit<PartitionEventTimestamps>, w: Writer): void {
  writeTimestamp(w, 1, m.firstTimestamp);
  writeTimestamp(w, 2, m.latestTimestamp);
}

function readPartitionEventTimestamps(r: Reader): PartitionEventTimestamps {
  const m: PartitionEventTimestamps = { firstTimestamp: 0n, latestTimestamp: 0n };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.firstTimestamp = readTimestamp(r);
        break;
      case 2:
        m.latestTimestamp = readTimestamp(r);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePartitionEventTimestamps(
  m: MessageInit<PartitionEventTimestamps>,
): Uint8Array {
  return encodeWith(m, writePartitionEventTimestamps);
}
export function decodePartitionEventTimestamps(b: Uint8Array): PartitionEventTimestamps {
  return decodeWith("PartitionEventTimestamps", b, readPartitionEventTimestamps);
}

function writePartitionMetadata(m: MessageInit<PartitionMetadata>, w: Writer): void {
  if (m.id) w.writeInt32(1, m.id);
  if (m.leader) w.writeString(2, m.leader);
  writeStrings(w, 3, m.replicas);
  writeStrings(w, 4, m.isr);
  if (m.highWatermark) w.writeInt64(5, m.highWatermark);
  if (m.newestOffset) w.writeInt64(6, m.newestOffset);
  if (m.paused) w.writeBool(7, true);
  if (m.readonly) w.writeBool(8, true);
  writeSub(w, 9, m.messagesReceivedTimestamps, writePartitionEventTimestamps);
  writeSub(w, 10, m.pauseTimestamps, writePartitionEventTimestamps);
  writeSub(w, 11, m.readonlyTimestamps, writePartitionEventTimestamps);
}

function emptyPartitionMetadata(): PartitionMetadata {
  return {
    id: 0,
    leader: "",
    replicas: [],
    isr: [],
    highWatermark: 0,
    newestOffset: 0,
    paused: false,
    readonly: false,
    messagesReceivedTimestamps: undefined,
    pauseTimestamps: undefined,
    readonlyTimestamps: undefined,
  };
}

function readPartitionMetadata(r: Reader): PartitionMetadata {
  const m = emptyPartitionMetadata();
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.id = r.readInt32();
        break;
      case 2:
        m.leader = r.readString();
        break;
      case 3:
        m.replicas.push(r.readString());
        break;
      case 4:
        m.isr.push(r.readString());
        break;
      case 5:
        m.highWatermark = r.readInt64();
        break;
      case 6:
        m.newestOffset = r.readInt64();
        break;
      case 7:
        m.paused = r.readBool();
        break;
      case 8:
        m.readonly = r.readBool();
        break;
      case 9:
        m.messagesReceivedTimestamps = readSub(r, readPartitionEventTimestamps);
        break;
      case 10:
        m.pauseTimestamps = readSub(r, readPartitionEventTimestamps);
        break;
      case 11:
        m.readonlyTimestamps = readSub(r, readPartitionEventTimestamps);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePartitionMetadata(m: MessageInit<PartitionMetadata>): Uint8Array {
  return encodeWith(m, writePartitionMetadata);
}
export function decodePartitionMetadata(b: Uint8Array): PartitionMetadata {
  return decodeWith("PartitionMetadata", b, readPartitionMetadata);
}

function writeStreamMetadata(m: MessageInit<StreamMetadata>, w: Writer): void {
  if (m.name) w.writeString(1, m.name);
  if (m.subject) w.writeString(2, m.subject);
  if (m.error) w.writeEnum(3, m.error);
  if (m.partitions) {
    for (const key of Object.keys(m.partitions)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < -0x80000000 || id > 0x7fffffff) {
        throw new RangeError(
          `StreamMetadata.partitions: key ${JSON.stringify(key)} is not an int32 partition id`,
        );
      }
      const partition = m.partitions[id];
      if (partition == null) continue;
      w.beginSubMessage(4);
      w.writeInt32(1, id);
      w.beginSubMessage(2);
      writePartitionMetadata(partition, w);
      w.endSubMessage(2);
      w.endSubMessage(4);
    }
  }
  writeTimestamp(w, 5, m.creationTimestamp);
}

interface PartitionMapEntry {
  key: number;
  value: PartitionMetadata | undefined;
}

function readPartitionMapEntry(entry: PartitionMapEntry, r: Reader): void {
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        entry.key = r.readInt32();
        break;
      case 2:
        entry.value = readSub(r, readPartitionMetadata);
        break;
      default:
        r.skipField();
    }
  }
}

function readStreamMetadata(r: Reader): StreamMetadata {
  const m: StreamMetadata = {
    name: "",
    subject: "",
    error: 0,
    partitions: {},
    creationTimestamp: 0n,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.name = r.readString();
        break;
      case 2:
        m.subject = r.readString();
        break;
      case 3:
        m.error = r.readEnum() as StreamMetadataError;
        break;
      case 4: {
        const entry: PartitionMapEntry = { key: 0, value: undefined };
        r.readMessage(entry, readPartitionMapEntry);
        m.partitions[entry.key] = entry.value ?? emptyPartitionMetadata();
        break;
      }
      case 5:
        m.creationTimestamp = readTimestamp(r);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeStreamMetadata(m: MessageInit<StreamMetadata>): Uint8Array {
  return encodeWith(m, writeStreamMetadata);
}
export function decodeStreamMetadata(b: Uint8Array): StreamMetadata {
  return decodeWith("StreamMetadata", b, readStreamMetadata);
}

function writeConsumerGroupMetadata(m: MessageInit<ConsumerGroupMetadata>, w: Writer): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.error) w.writeEnum(2, m.error);
  if (m.coordinator) w.writeString(3, m.coordinator);
  if (m.epoch) w.writeUint64(4, m.epoch);
}

function readConsumerGroupMetadata(r: Reader): ConsumerGroupMetadata {
  const m: ConsumerGroupMetadata = { groupId: "", error: 0, coordinator: "", epoch: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.error = r.readEnum() as ConsumerGroupMetadataError;
        break;
      case 3:
        m.coordinator = r.readString();
        break;
      case 4:
        m.epoch = r.readUint64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeConsumerGroupMetadata(m: MessageInit<ConsumerGroupMetadata>): Uint8Array {
  return encodeWith(m, writeConsumerGroupMetadata);
}
export function decodeConsumerGroupMetadata(b: Uint8Array): ConsumerGroupMetadata {
  return decodeWith("ConsumerGroupMetadata", b, readConsumerGroupMetadata);
}

function writeFetchMetadataResponse(m: MessageInit<FetchMetadataResponse>, w: Writer): void {
  writeSubs(w, 1, m.brokers, writeBroker);
  writeSubs(w, 2, m.streamMetadata, writeStreamMetadata);
  writeSubs(w, 3, m.groupMetadata, writeConsumerGroupMetadata);
}

function readFetchMetadataResponse(r: Reader): FetchMetadataResponse {
  const m: FetchMetadataResponse = { brokers: [], streamMetadata: [], groupMetadata: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.brokers.push(readSub(r, readBroker));
        break;
      case 2:
        m.streamMetadata.push(readSub(r, readStreamMetadata));
        break;
      case 3:
        m.groupMetadata.push(readSub(r, readConsumerGroupMetadata));
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchMetadataResponse(m: MessageInit<FetchMetadataResponse>): Uint8Array {
  return encodeWith(m, writeFetchMetadataResponse);
}
export function decodeFetchMetadataResponse(b: Uint8Array): FetchMetadataResponse {
  return decodeWith("FetchMetadataResponse", b, readFetchMetadataResponse);
}

function writeFetchPartitionMetadataRequest(
  m: MessageInit<FetchPartitionMetadataRequest>,
  w: Writer,
): void {
  if (m.stream) w.writeString(1, m.stream);
  if (m.partition) w.writeInt32(2, m.partition);
}

function readFetchPartitionMetadataRequest(r: Reader): FetchPartitionMetadataRequest {
  const m: FetchPartitionMetadataRequest = { stream: "", partition: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        m.partition = r.readInt32();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchPartitionMetadataRequest(
  m: MessageInit<FetchPartitionMetadataRequest>,
): Uint8Array {
  return encodeWith(m, writeFetchPartitionMetadataRequest);
}
export function decodeFetchPartitionMetadataRequest(b: Uint8Array): FetchPartitionMetadataRequest {
  return decodeWith("FetchPartitionMetadataRequest", b, readFetchPartitionMetadataRequest);
}

function writeFetchPartitionMetadataResponse(
  m: MessageInit<FetchPartitionMetadataResponse>,
  w: Writer,
): void {
  writeSub(w, 1, m.metadata, writePartitionMetadata);
}

function readFetchPartitionMetadataResponse(r: Reader): FetchPartitionMetadataResponse {
  const m: FetchPartitionMetadataResponse = { metadata: undefined };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) m.metadata = readSub(r, readPartitionMetadata);
    else r.skipField();
  }
  return m;
}

export function encodeFetchPartitionMetadataResponse(
  m: MessageInit<FetchPartitionMetadataResponse>,
): Uint8Array {
  return encodeWith(m, writeFetchPartitionMetadataResponse);
}
export function decodeFetchPartitionMetadataResponse(
  b: Uint8Array,
): FetchPartitionMetadataResponse {
  return decodeWith("FetchPartitionMetadataResponse", b, readFetchPartitionMetadataResponse);
}

// ---------------------------------------------------------------------------------------------
// Publish

function writePublishRequest(m: MessageInit<PublishRequest>, w: Writer): void {
  writeBytes(w, 1, m.key, "PublishRequest.key");
  writeBytes(w, 2, m.value, "PublishRequest.value");
  if (m.stream) w.writeString(3, m.stream);
  if (m.partition) w.writeInt32(4, m.partition);
  writeBytesMap(w, 5, m.headers, "PublishRequest.headers");
  if (m.ackInbox) w.writeString(6, m.ackInbox);
  if (m.correlationId) w.writeString(7, m.correlationId);
  if (m.ackPolicy) w.writeEnum(8, m.ackPolicy);
  if (m.expectedOffset) w.writeInt64(9, m.expectedOffset);
}

function readPublishRequest(r: Reader): PublishRequest {
  const m: PublishRequest = {
    key: EMPTY_BYTES,
    value: EMPTY_BYTES,
    stream: "",
    partition: 0,
    headers: {},
    ackInbox: "",
    correlationId: "",
    ackPolicy: 0,
    expectedOffset: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.key = r.readBytes();
        break;
      case 2:
        m.value = r.readBytes();
        break;
      case 3:
        m.stream = r.readString();
        break;
      case 4:
        m.partition = r.readInt32();
        break;
      case 5:
        readBytesMapEntryInto(r, m.headers);
        break;
      case 6:
        m.ackInbox = r.readString();
        break;
      case 7:
        m.correlationId = r.readString();
        break;
      case 8:
        m.ackPolicy = r.readEnum() as AckPolicy;
        break;
      case 9:
        m.expectedOffset = r.readInt64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePublishRequest(m: MessageInit<PublishRequest>): Uint8Array {
  return encodeWith(m, writePublishRequest);
}
export function decodePublishRequest(b: Uint8Array): PublishRequest {
  return decodeWith("PublishRequest", b, readPublishRequest);
}

function writePublishAsyncError(m: MessageInit<PublishAsyncError>, w: Writer): void {
  if (m.code) w.writeEnum(1, m.code);
  if (m.message) w.writeString(2, m.message);
}

function readPublishAsyncError(r: Reader): PublishAsyncError {
  const m: PublishAsyncError = { code: 0, message: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.code = r.readEnum() as PublishAsyncErrorCode;
        break;
      case 2:
        m.message = r.readString();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePublishAsyncError(m: MessageInit<PublishAsyncError>): Uint8Array {
  return encodeWith(m, writePublishAsyncError);
}
export function decodePublishAsyncError(b: Uint8Array): PublishAsyncError {
  return decodeWith("PublishAsyncError", b, readPublishAsyncError);
}

function writeAck(m: MessageInit<Ack>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  if (m.partitionSubject) w.writeString(2, m.partitionSubject);
  if (m.msgSubject) w.writeString(3, m.msgSubject);
  if (m.offset) w.writeInt64(4, m.offset);
  if (m.ackInbox) w.writeString(5, m.ackInbox);
  if (m.correlationId) w.writeString(6, m.correlationId);
  if (m.ackPolicy) w.writeEnum(7, m.ackPolicy);
  writeTimestamp(w, 8, m.receptionTimestamp);
  writeTimestamp(w, 9, m.commitTimestamp);
  if (m.ackError) w.writeEnum(10, m.ackError);
}

function readAck(r: Reader): Ack {
  const m: Ack = {
    stream: "",
    partitionSubject: "",
    msgSubject: "",
    offset: 0,
    ackInbox: "",
    correlationId: "",
    ackPolicy: 0,
    receptionTimestamp: 0n,
    commitTimestamp: 0n,
    ackError: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        m.partitionSubject = r.readString();
        break;
      case 3:
        m.msgSubject = r.readString();
        break;
      case 4:
        m.offset = r.readInt64();
        break;
      case 5:
        m.ackInbox = r.readString();
        break;
      case 6:
        m.correlationId = r.readString();
        break;
      case 7:
        m.ackPolicy = r.readEnum() as AckPolicy;
        break;
      case 8:
        m.receptionTimestamp = readTimestamp(r);
        break;
      case 9:
        m.commitTimestamp = readTimestamp(r);
        break;
      case 10:
        m.ackError = r.readEnum() as AckError;
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeAck(m: MessageInit<Ack>): Uint8Array {
  return encodeWith(m, writeAck);
}
export function decodeAck(b: Uint8Array): Ack {
  return decodeWith("Ack", b, readAck);
}

function writePublishResponse(m: MessageInit<PublishResponse>, w: Writer): void {
  writeSub(w, 1, m.ack, writeAck);
  writeSub(w, 2, m.asyncError, writePublishAsyncError);
  if (m.correlationId) w.writeString(3, m.correlationId);
}

function readPublishResponse(r: Reader): PublishResponse {
  const m: PublishResponse = { ack: undefined, asyncError: undefined, correlationId: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.ack = readSub(r, readAck);
        break;
      case 2:
        m.asyncError = readSub(r, readPublishAsyncError);
        break;
      case 3:
        m.correlationId = r.readString();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePublishResponse(m: MessageInit<PublishResponse>): Uint8Array {
  return encodeWith(m, writePublishResponse);
}
export function decodePublishResponse(b: Uint8Array): PublishResponse {
  return decodeWith("PublishResponse", b, readPublishResponse);
}

function writePublishToSubjectRequest(m: MessageInit<PublishToSubjectRequest>, w: Writer): void {
  writeBytes(w, 1, m.key, "PublishToSubjectRequest.key");
  writeBytes(w, 2, m.value, "PublishToSubjectRequest.value");
  if (m.subject) w.writeString(3, m.subject);
  writeBytesMap(w, 4, m.headers, "PublishToSubjectRequest.headers");
  if (m.ackInbox) w.writeString(5, m.ackInbox);
  if (m.correlationId) w.writeString(6, m.correlationId);
  if (m.ackPolicy) w.writeEnum(7, m.ackPolicy);
}

function readPublishToSubjectRequest(r: Reader): PublishToSubjectRequest {
  const m: PublishToSubjectRequest = {
    key: EMPTY_BYTES,
    value: EMPTY_BYTES,
    subject: "",
    headers: {},
    ackInbox: "",
    correlationId: "",
    ackPolicy: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.key = r.readBytes();
        break;
      case 2:
        m.value = r.readBytes();
        break;
      case 3:
        m.subject = r.readString();
        break;
      case 4:
        readBytesMapEntryInto(r, m.headers);
        break;
      case 5:
        m.ackInbox = r.readString();
        break;
      case 6:
        m.correlationId = r.readString();
        break;
      case 7:
        m.ackPolicy = r.readEnum() as AckPolicy;
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePublishToSubjectRequest(m: MessageInit<PublishToSubjectRequest>): Uint8Array {
  return encodeWith(m, writePublishToSubjectRequest);
}
export function decodePublishToSubjectRequest(b: Uint8Array): PublishToSubjectRequest {
  return decodeWith("PublishToSubjectRequest", b, readPublishToSubjectRequest);
}

function writePublishToSubjectResponse(m: MessageInit<PublishToSubjectResponse>, w: Writer): void {
  writeSub(w, 1, m.ack, writeAck);
}

function readPublishToSubjectResponse(r: Reader): PublishToSubjectResponse {
  const m: PublishToSubjectResponse = { ack: undefined };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) m.ack = readSub(r, readAck);
    else r.skipField();
  }
  return m;
}

export function encodePublishToSubjectResponse(
  m: MessageInit<PublishToSubjectResponse>,
): Uint8Array {
  return encodeWith(m, writePublishToSubjectResponse);
}
export function decodePublishToSubjectResponse(b: Uint8Array): PublishToSubjectResponse {
  return decodeWith("PublishToSubjectResponse", b, readPublishToSubjectResponse);
}

// ---------------------------------------------------------------------------------------------
// Cursors

function writeSetCursorRequest(m: MessageInit<SetCursorRequest>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  if (m.partition) w.writeInt32(2, m.partition);
  if (m.cursorId) w.writeString(3, m.cursorId);
  if (m.offset) w.writeInt64(4, m.offset);
}

function readSetCursorRequest(r: Reader): SetCursorRequest {
  const m: SetCursorRequest = { stream: "", partition: 0, cursorId: "", offset: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        m.partition = r.readInt32();
        break;
      case 3:
        m.cursorId = r.readString();
        break;
      case 4:
        m.offset = r.readInt64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeSetCursorRequest(m: MessageInit<SetCursorRequest>): Uint8Array {
  return encodeWith(m, writeSetCursorRequest);
}
export function decodeSetCursorRequest(b: Uint8Array): SetCursorRequest {
  return decodeWith("SetCursorRequest", b, readSetCursorRequest);
}

export function encodeSetCursorResponse(m: MessageInit<SetCursorResponse>): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeSetCursorResponse(b: Uint8Array): SetCursorResponse {
  return decodeWith("SetCursorResponse", b, readEmpty);
}

function writeFetchCursorRequest(m: MessageInit<FetchCursorRequest>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  if (m.partition) w.writeInt32(2, m.partition);
  if (m.cursorId) w.writeString(3, m.cursorId);
}

function readFetchCursorRequest(r: Reader): FetchCursorRequest {
  const m: FetchCursorRequest = { stream: "", partition: 0, cursorId: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        m.partition = r.readInt32();
        break;
      case 3:
        m.cursorId = r.readString();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchCursorRequest(m: MessageInit<FetchCursorRequest>): Uint8Array {
  return encodeWith(m, writeFetchCursorRequest);
}
export function decodeFetchCursorRequest(b: Uint8Array): FetchCursorRequest {
  return decodeWith("FetchCursorRequest", b, readFetchCursorRequest);
}

function writeFetchCursorResponse(m: MessageInit<FetchCursorResponse>, w: Writer): void {
  if (m.offset) w.writeInt64(1, m.offset);
}

function readFetchCursorResponse(r: Reader): FetchCursorResponse {
  const m: FetchCursorResponse = { offset: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) m.offset = r.readInt64();
    else r.skipField();
  }
  return m;
}

export function encodeFetchCursorResponse(m: MessageInit<FetchCursorResponse>): Uint8Array {
  return encodeWith(m, writeFetchCursorResponse);
}
export function decodeFetchCursorResponse(b: Uint8Array): FetchCursorResponse {
  return decodeWith("FetchCursorResponse", b, readFetchCursorResponse);
}

// ---------------------------------------------------------------------------------------------
// Consumer groups

function writeJoinConsumerGroupRequest(m: MessageInit<JoinConsumerGroupRequest>, w: Writer): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
  writeStrings(w, 3, m.streams);
}

function readJoinConsumerGroupRequest(r: Reader): JoinConsumerGroupRequest {
  const m: JoinConsumerGroupRequest = { groupId: "", consumerId: "", streams: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      case 3:
        m.streams.push(r.readString());
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeJoinConsumerGroupRequest(
  m: MessageInit<JoinConsumerGroupRequest>,
): Uint8Array {
  return encodeWith(m, writeJoinConsumerGroupRequest);
}
export function decodeJoinConsumerGroupRequest(b: Uint8Array): JoinConsumerGroupRequest {
  return decodeWith("JoinConsumerGroupRequest", b, readJoinConsumerGroupRequest);
}

function writeJoinConsumerGroupResponse(
  m: MessageInit<JoinConsumerGroupResponse>,
  w: Writer,
): void {
  if (m.coordinator) w.writeString(1, m.coordinator);
  if (m.epoch) w.writeUint64(2, m.epoch);
  if (m.consumerTimeout) w.writeInt64(3, m.consumerTimeout);
  if (m.coordinatorTimeout) w.writeInt64(4, m.coordinatorTimeout);
}

function readJoinConsumerGroupResponse(r: Reader): JoinConsumerGroupResponse {
  const m: JoinConsumerGroupResponse = {
    coordinator: "",
    epoch: 0,
    consumerTimeout: 0,
    coordinatorTimeout: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.coordinator = r.readString();
        break;
      case 2:
        m.epoch = r.readUint64();
        break;
      case 3:
        m.consumerTimeout = r.readInt64();
        break;
      case 4:
        m.coordinatorTimeout = r.readInt64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeJoinConsumerGroupResponse(
  m: MessageInit<JoinConsumerGroupResponse>,
): Uint8Array {
  return encodeWith(m, writeJoinConsumerGroupResponse);
}
export function decodeJoinConsumerGroupResponse(b: Uint8Array): JoinConsumerGroupResponse {
  return decodeWith("JoinConsumerGroupResponse", b, readJoinConsumerGroupResponse);
}

function writeLeaveConsumerGroupRequest(
  m: MessageInit<LeaveConsumerGroupRequest>,
  w: Writer,
): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
}

function readLeaveConsumerGroupRequest(r: Reader): LeaveConsumerGroupRequest {
  const m: LeaveConsumerGroupRequest = { groupId: "", consumerId: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeLeaveConsumerGroupRequest(
  m: MessageInit<LeaveConsumerGroupRequest>,
): Uint8Array {
  return encodeWith(m, writeLeaveConsumerGroupRequest);
}
export function decodeLeaveConsumerGroupRequest(b: Uint8Array): LeaveConsumerGroupRequest {
  return decodeWith("LeaveConsumerGroupRequest", b, readLeaveConsumerGroupRequest);
}

export function encodeLeaveConsumerGroupResponse(
  m: MessageInit<LeaveConsumerGroupResponse>,
): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeLeaveConsumerGroupResponse(b: Uint8Array): LeaveConsumerGroupResponse {
  return decodeWith("LeaveConsumerGroupResponse", b, readEmpty);
}

function writeFetchConsumerGroupAssignmentsRequest(
  m: MessageInit<FetchConsumerGroupAssignmentsRequest>,
  w: Writer,
): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
  if (m.epoch) w.writeUint64(3, m.epoch);
}

function readFetchConsumerGroupAssignmentsRequest(r: Reader): FetchConsumerGroupAssignmentsRequest {
  const m: FetchConsumerGroupAssignmentsRequest = { groupId: "", consumerId: "", epoch: 0 };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      case 3:
        m.epoch = r.readUint64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchConsumerGroupAssignmentsRequest(
  m: MessageInit<FetchConsumerGroupAssignmentsRequest>,
): Uint8Array {
  return encodeWith(m, writeFetchConsumerGroupAssignmentsRequest);
}
export function decodeFetchConsumerGroupAssignmentsRequest(
  b: Uint8Array,
): FetchConsumerGroupAssignmentsRequest {
  return decodeWith(
    "FetchConsumerGroupAssignmentsRequest",
    b,
    readFetchConsumerGroupAssignmentsRequest,
  );
}

function writePartitionAssignment(m: MessageInit<PartitionAssignment>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  writeInt32s(w, 2, m.partitions);
}

function readPartitionAssignment(r: Reader): PartitionAssignment {
  const m: PartitionAssignment = { stream: "", partitions: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePartitionAssignment(m: MessageInit<PartitionAssignment>): Uint8Array {
  return encodeWith(m, writePartitionAssignment);
}
export function decodePartitionAssignment(b: Uint8Array): PartitionAssignment {
  return decodeWith("PartitionAssignment", b, readPartitionAssignment);
}

function writeFetchConsumerGroupAssignmentsResponse(
  m: MessageInit<FetchConsumerGroupAssignmentsResponse>,
  w: Writer,
): void {
  if (m.epoch) w.writeUint64(1, m.epoch);
  writeSubs(w, 2, m.assignments, writePartitionAssignment);
}

function readFetchConsumerGroupAssignmentsResponse(
  r: Reader,
): FetchConsumerGroupAssignmentsResponse {
  const m: FetchConsumerGroupAssignmentsResponse = { epoch: 0, assignments: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.epoch = r.readUint64();
        break;
      case 2:
        m.assignments.push(readSub(r, readPartitionAssignment));
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeFetchConsumerGroupAssignmentsResponse(
  m: MessageInit<FetchConsumerGroupAssignmentsResponse>,
): Uint8Array {
  return encodeWith(m, writeFetchConsumerGroupAssignmentsResponse);
}
export function decodeFetchConsumerGroupAssignmentsResponse(
  b: Uint8Array,
): FetchConsumerGroupAssignmentsResponse {
  return decodeWith(
    "FetchConsumerGroupAssignmentsResponse",
    b,
    readFetchConsumerGroupAssignmentsResponse,
  );
}

function writeReportConsumerGroupCoordinatorRequest(
  m: MessageInit<ReportConsumerGroupCoordinatorRequest>,
  w: Writer,
): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
  if (m.coordinator) w.writeString(3, m.coordinator);
  if (m.epoch) w.writeUint64(4, m.epoch);
}

function readReportConsumerGroupCoordinatorRequest(
  r: Reader,
): ReportConsumerGroupCoordinatorRequest {
  const m: ReportConsumerGroupCoordinatorRequest = {
    groupId: "",
    consumerId: "",
    coordinator: "",
    epoch: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      case 3:
        m.coordinator = r.readString();
        break;
      case 4:
        m.epoch = r.readUint64();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeReportConsumerGroupCoordinatorRequest(
  m: MessageInit<ReportConsumerGroupCoordinatorRequest>,
): Uint8Array {
  return encodeWith(m, writeReportConsumerGroupCoordinatorRequest);
}
export function decodeReportConsumerGroupCoordinatorRequest(
  b: Uint8Array,
): ReportConsumerGroupCoordinatorRequest {
  return decodeWith(
    "ReportConsumerGroupCoordinatorRequest",
    b,
    readReportConsumerGroupCoordinatorRequest,
  );
}

export function encodeReportConsumerGroupCoordinatorResponse(
  m: MessageInit<ReportConsumerGroupCoordinatorResponse>,
): Uint8Array {
  return encodeWith(m, writeEmpty);
}
export function decodeReportConsumerGroupCoordinatorResponse(
  b: Uint8Array,
): ReportConsumerGroupCoordinatorResponse {
  return decodeWith("ReportConsumerGroupCoordinatorResponse", b, readEmpty);
}

// ---------------------------------------------------------------------------------------------
// Message

function readMessage(r: Reader): Message {
  const m: Message = {
    offset: 0,
    key: EMPTY_BYTES,
    value: EMPTY_BYTES,
    timestamp: 0n,
    stream: "",
    partition: 0,
    subject: "",
    replySubject: "",
    headers: {},
    ackInbox: "",
    correlationId: "",
    ackPolicy: 0,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.offset = r.readInt64();
        break;
      case 2:
        m.key = r.readBytes();
        break;
      case 3:
        m.value = r.readBytes();
        break;
      case 4:
        m.timestamp = readTimestamp(r);
        break;
      case 5:
        m.stream = r.readString();
        break;
      case 6:
        m.partition = r.readInt32();
        break;
      case 7:
        m.subject = r.readString();
        break;
      case 8:
        m.replySubject = r.readString();
        break;
      case 9:
        readBytesMapEntryInto(r, m.headers);
        break;
      case 10:
        m.ackInbox = r.readString();
        break;
      case 11:
        m.correlationId = r.readString();
        break;
      case 12:
        m.ackPolicy = r.readEnum() as AckPolicy;
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

/** Hand-rolled (see message-codec.ts): Message is encoded once per record on the hot path. */
export function encodeMessage(m: MessageInit<Message>): Uint8Array {
  return encodeMessageFast(m);
}
export function decodeMessage(b: Uint8Array): Message {
  return decodeWith("Message", b, readMessage);
}

// ---------------------------------------------------------------------------------------------
// Activity stream

function writeCreateStreamOp(m: MessageInit<CreateStreamOp>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  writeInt32s(w, 2, m.partitions);
}

function readCreateStreamOp(r: Reader): CreateStreamOp {
  const m: CreateStreamOp = { stream: "", partitions: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeCreateStreamOp(m: MessageInit<CreateStreamOp>): Uint8Array {
  return encodeWith(m, writeCreateStreamOp);
}
export function decodeCreateStreamOp(b: Uint8Array): CreateStreamOp {
  return decodeWith("CreateStreamOp", b, readCreateStreamOp);
}

function writeDeleteStreamOp(m: MessageInit<DeleteStreamOp>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
}

function readDeleteStreamOp(r: Reader): DeleteStreamOp {
  const m: DeleteStreamOp = { stream: "" };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (r.getFieldNumber() === 1) m.stream = r.readString();
    else r.skipField();
  }
  return m;
}

export function encodeDeleteStreamOp(m: MessageInit<DeleteStreamOp>): Uint8Array {
  return encodeWith(m, writeDeleteStreamOp);
}
export function decodeDeleteStreamOp(b: Uint8Array): DeleteStreamOp {
  return decodeWith("DeleteStreamOp", b, readDeleteStreamOp);
}

function writePauseStreamOp(m: MessageInit<PauseStreamOp>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  writeInt32s(w, 2, m.partitions);
  if (m.resumeAll) w.writeBool(3, true);
}

function readPauseStreamOp(r: Reader): PauseStreamOp {
  const m: PauseStreamOp = { stream: "", partitions: [], resumeAll: false };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      case 3:
        m.resumeAll = r.readBool();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodePauseStreamOp(m: MessageInit<PauseStreamOp>): Uint8Array {
  return encodeWith(m, writePauseStreamOp);
}
export function decodePauseStreamOp(b: Uint8Array): PauseStreamOp {
  return decodeWith("PauseStreamOp", b, readPauseStreamOp);
}

function writeResumeStreamOp(m: MessageInit<ResumeStreamOp>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  writeInt32s(w, 2, m.partitions);
}

function readResumeStreamOp(r: Reader): ResumeStreamOp {
  const m: ResumeStreamOp = { stream: "", partitions: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeResumeStreamOp(m: MessageInit<ResumeStreamOp>): Uint8Array {
  return encodeWith(m, writeResumeStreamOp);
}
export function decodeResumeStreamOp(b: Uint8Array): ResumeStreamOp {
  return decodeWith("ResumeStreamOp", b, readResumeStreamOp);
}

function writeSetStreamReadonlyOp(m: MessageInit<SetStreamReadonlyOp>, w: Writer): void {
  if (m.stream) w.writeString(1, m.stream);
  writeInt32s(w, 2, m.partitions);
  if (m.readonly) w.writeBool(3, true);
}

function readSetStreamReadonlyOp(r: Reader): SetStreamReadonlyOp {
  const m: SetStreamReadonlyOp = { stream: "", partitions: [], readonly: false };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.stream = r.readString();
        break;
      case 2:
        readInt32s(r, m.partitions);
        break;
      case 3:
        m.readonly = r.readBool();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeSetStreamReadonlyOp(m: MessageInit<SetStreamReadonlyOp>): Uint8Array {
  return encodeWith(m, writeSetStreamReadonlyOp);
}
export function decodeSetStreamReadonlyOp(b: Uint8Array): SetStreamReadonlyOp {
  return decodeWith("SetStreamReadonlyOp", b, readSetStreamReadonlyOp);
}

function writeJoinConsumerGroupOp(m: MessageInit<JoinConsumerGroupOp>, w: Writer): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
  writeStrings(w, 3, m.streams);
}

function readJoinConsumerGroupOp(r: Reader): JoinConsumerGroupOp {
  const m: JoinConsumerGroupOp = { groupId: "", consumerId: "", streams: [] };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      case 3:
        m.streams.push(r.readString());
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeJoinConsumerGroupOp(m: MessageInit<JoinConsumerGroupOp>): Uint8Array {
  return encodeWith(m, writeJoinConsumerGroupOp);
}
export function decodeJoinConsumerGroupOp(b: Uint8Array): JoinConsumerGroupOp {
  return decodeWith("JoinConsumerGroupOp", b, readJoinConsumerGroupOp);
}

function writeLeaveConsumerGroupOp(m: MessageInit<LeaveConsumerGroupOp>, w: Writer): void {
  if (m.groupId) w.writeString(1, m.groupId);
  if (m.consumerId) w.writeString(2, m.consumerId);
  if (m.expired) w.writeBool(3, true);
}

function readLeaveConsumerGroupOp(r: Reader): LeaveConsumerGroupOp {
  const m: LeaveConsumerGroupOp = { groupId: "", consumerId: "", expired: false };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.groupId = r.readString();
        break;
      case 2:
        m.consumerId = r.readString();
        break;
      case 3:
        m.expired = r.readBool();
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeLeaveConsumerGroupOp(m: MessageInit<LeaveConsumerGroupOp>): Uint8Array {
  return encodeWith(m, writeLeaveConsumerGroupOp);
}
export function decodeLeaveConsumerGroupOp(b: Uint8Array): LeaveConsumerGroupOp {
  return decodeWith("LeaveConsumerGroupOp", b, readLeaveConsumerGroupOp);
}

function writeActivityStreamEvent(m: MessageInit<ActivityStreamEvent>, w: Writer): void {
  if (m.id) w.writeUint64(1, m.id);
  if (m.op) w.writeEnum(2, m.op);
  writeSub(w, 3, m.createStreamOp, writeCreateStreamOp);
  writeSub(w, 4, m.deleteStreamOp, writeDeleteStreamOp);
  writeSub(w, 5, m.pauseStreamOp, writePauseStreamOp);
  writeSub(w, 6, m.resumeStreamOp, writeResumeStreamOp);
  writeSub(w, 7, m.setStreamReadonlyOp, writeSetStreamReadonlyOp);
  writeSub(w, 8, m.joinConsumerGroupOp, writeJoinConsumerGroupOp);
  writeSub(w, 9, m.leaveConsumerGroupOp, writeLeaveConsumerGroupOp);
}

function readActivityStreamEvent(r: Reader): ActivityStreamEvent {
  const m: ActivityStreamEvent = {
    id: 0,
    op: 0,
    createStreamOp: undefined,
    deleteStreamOp: undefined,
    pauseStreamOp: undefined,
    resumeStreamOp: undefined,
    setStreamReadonlyOp: undefined,
    joinConsumerGroupOp: undefined,
    leaveConsumerGroupOp: undefined,
  };
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    switch (r.getFieldNumber()) {
      case 1:
        m.id = r.readUint64();
        break;
      case 2:
        m.op = r.readEnum() as ActivityStreamOp;
        break;
      case 3:
        m.createStreamOp = readSub(r, readCreateStreamOp);
        break;
      case 4:
        m.deleteStreamOp = readSub(r, readDeleteStreamOp);
        break;
      case 5:
        m.pauseStreamOp = readSub(r, readPauseStreamOp);
        break;
      case 6:
        m.resumeStreamOp = readSub(r, readResumeStreamOp);
        break;
      case 7:
        m.setStreamReadonlyOp = readSub(r, readSetStreamReadonlyOp);
        break;
      case 8:
        m.joinConsumerGroupOp = readSub(r, readJoinConsumerGroupOp);
        break;
      case 9:
        m.leaveConsumerGroupOp = readSub(r, readLeaveConsumerGroupOp);
        break;
      default:
        r.skipField();
    }
  }
  return m;
}

export function encodeActivityStreamEvent(m: MessageInit<ActivityStreamEvent>): Uint8Array {
  return encodeWith(m, writeActivityStreamEvent);
}
export function decodeActivityStreamEvent(b: Uint8Array): ActivityStreamEvent {
  return decodeWith("ActivityStreamEvent", b, readActivityStreamEvent);
}
