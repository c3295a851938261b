/** Codecs and the gRPC service definition of proto/admin.proto (package lb.admin). */
import type { ServiceDefinition } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import pb from "google-protobuf";
import {
  type CreateStreamRequest,
  decodeCreateStreamRequest,
  encodeCreateStreamRequest,
  type MessageInit,
} from "./api.js";

const { BinaryReader, BinaryWriter } = pb;
type Reader = pb.BinaryReader;

export interface DescribeStreamsRequest {
  streams: string[];
}

export interface StreamDescription {
  config: CreateStreamRequest;
  creationTimestamp: bigint;
  syncPolicy: string;
  /** Every setting as the answering broker applies it (the stream's own, else its default). */
  effective: CreateStreamRequest;
  effectiveSyncPolicy: string;
}

export interface DescribeStreamsResponse {
  streams: StreamDescription[];
}

export interface AdminCreateStreamRequest {
  request: CreateStreamRequest;
  syncPolicy: string;
}

export interface CompactRequest {
  stream: string;
  partitions: number[];
}

export interface PartitionCompaction {
  partition: number;
  recordsBefore: number;
  recordsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactResponse {
  partitions: PartitionCompaction[];
}

export type DescribeClusterRequest = Record<string, never>;

export interface ClusterBroker {
  id: string;
  host: string;
  port: number;
  alive: boolean;
  /** "voter", "learner" or "none". */
  membership: string;
  /** Partitions the broker could not open locally. */
  localFailures: LocalFailure[];
}

export interface LocalFailure {
  stream: string;
  partition: number;
  error: string;
}

export interface DescribeClusterResponse {
  serverId: string;
  controller: string;
  role: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  brokers: ClusterBroker[];
}

export interface DescribePartitionsRequest {
  stream: string;
  partitions: number[];
}

export interface ReplicaProgress {
  replica: string;
  logEndOffset: number;
  lag: number;
  inSync: boolean;
  lastFetchMsAgo: number;
}

export interface PartitionProgress {
  partition: number;
  leader: string;
  leaderEpoch: number;
  highWatermark: number;
  logEndOffset: number;
  replicas: ReplicaProgress[];
}

export interface DescribePartitionsResponse {
  partitions: PartitionProgress[];
}

/** Reads every field of a message, handing each to `field` (which must consume or skip it). */
function readFields(b: Uint8Array, field: (r: Reader, number: number) => boolean): void {
  const r = new BinaryReader(b);
  while (r.nextField() && !r.isEndGroup()) {
    if (!field(r, r.getFieldNumber())) r.skipField();
  }
}

function readInt32List(r: Reader, into: number[]): void {
  if (r.isDelimited()) into.push(...r.readPackedInt32());
  else into.push(r.readInt32());
}

/** A request whose only field is `repeated string` number 1 (names of streams or groups). */
function encodeNameList(names: readonly string[] | undefined): Uint8Array {
  const w = new BinaryWriter();
  for (const name of names ?? []) w.writeString(1, name);
  return w.getResultBuffer();
}

function decodeNameList(b: Uint8Array): string[] {
  const names: string[] = [];
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    names.push(r.readString());
    return true;
  });
  return names;
}

export function encodeDescribeStreamsRequest(m: Partial<DescribeStreamsRequest>): Uint8Array {
  return encodeNameList(m.streams);
}

export function decodeDescribeStreamsRequest(b: Uint8Array): DescribeStreamsRequest {
  return { streams: decodeNameList(b) };
}

export function encodeDescribeStreamsResponse(m: DescribeStreamsResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const s of m.streams) {
    const inner = new BinaryWriter();
    inner.writeBytes(1, encodeCreateStreamRequest(s.config));
    if (s.creationTimestamp !== 0n) inner.writeInt64String(2, s.creationTimestamp.toString());
    if (s.syncPolicy) inner.writeString(3, s.syncPolicy);
    inner.writeBytes(4, encodeCreateStreamRequest(s.effective));
    if (s.effectiveSyncPolicy) inner.writeString(5, s.effectiveSyncPolicy);
    w.writeBytes(1, inner.getResultBuffer());
  }
  return w.getResultBuffer();
}

export function decodeDescribeStreamsResponse(b: Uint8Array): DescribeStreamsResponse {
  const m: DescribeStreamsResponse = { streams: [] };
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    m.streams.push(decodeStreamDescription(r.readBytes()));
    return true;
  });
  return m;
}

function decodeStreamDescription(b: Uint8Array): StreamDescription {
  const d: StreamDescription = {
    config: decodeCreateStreamRequest(new Uint8Array(0)),
    creationTimestamp: 0n,
    syncPolicy: "",
    effective: decodeCreateStreamRequest(new Uint8Array(0)),
    effectiveSyncPolicy: "",
  };
  readFields(b, (r, n) => {
    if (n === 1) d.config = decodeCreateStreamRequest(r.readBytes());
    else if (n === 4) d.effective = decodeCreateStreamRequest(r.readBytes());
    else if (n === 5) d.effectiveSyncPolicy = r.readString();
    else if (n === 2) d.creationTimestamp = BigInt(r.readInt64String());
    else if (n === 3) d.syncPolicy = r.readString();
    else return false;
    return true;
  });
  return d;
}

export function encodeAdminCreateStreamRequest(
  m: MessageInit<AdminCreateStreamRequest>,
): Uint8Array {
  const w = new BinaryWriter();
  if (m.request) w.writeBytes(1, encodeCreateStreamRequest(m.request));
  if (m.syncPolicy) w.writeString(2, m.syncPolicy);
  return w.getResultBuffer();
}

export function decodeAdminCreateStreamRequest(b: Uint8Array): AdminCreateStreamRequest {
  const m: AdminCreateStreamRequest = {
    request: decodeCreateStreamRequest(new Uint8Array(0)),
    syncPolicy: "",
  };
  readFields(b, (r, n) => {
    if (n === 1) m.request = decodeCreateStreamRequest(r.readBytes());
    else if (n === 2) m.syncPolicy = r.readString();
    else return false;
    return true;
  });
  return m;
}

export function encodeCompactRequest(m: Partial<CompactRequest>): Uint8Array {
  const w = new BinaryWriter();
  if (m.stream) w.writeString(1, m.stream);
  if (m.partitions?.length) w.writePackedInt32(2, m.partitions);
  return w.getResultBuffer();
}

export function decodeCompactRequest(b: Uint8Array): CompactRequest {
  const m: CompactRequest = { stream: "", partitions: [] };
  readFields(b, (r, n) => {
    if (n === 1) m.stream = r.readString();
    else if (n === 2) readInt32List(r, m.partitions);
    else return false;
    return true;
  });
  return m;
}

export function encodeCompactResponse(m: CompactResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const p of m.partitions) {
    const inner = new BinaryWriter();
    if (p.partition) inner.writeInt32(1, p.partition);
    if (p.recordsBefore) inner.writeInt64(2, p.recordsBefore);
    if (p.recordsAfter) inner.writeInt64(3, p.recordsAfter);
    if (p.bytesBefore) inner.writeInt64(4, p.bytesBefore);
    if (p.bytesAfter) inner.writeInt64(5, p.bytesAfter);
    w.writeBytes(1, inner.getResultBuffer());
  }
  return w.getResultBuffer();
}

const COMPACTION_FIELDS: Record<number, keyof PartitionCompaction> = {
  1: "partition",
  2: "recordsBefore",
  3: "recordsAfter",
  4: "bytesBefore",
  5: "bytesAfter",
};

export function decodeCompactResponse(b: Uint8Array): CompactResponse {
  const m: CompactResponse = { partitions: [] };
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    const p: PartitionCompaction = {
      partition: 0,
      recordsBefore: 0,
      recordsAfter: 0,
      bytesBefore: 0,
      bytesAfter: 0,
    };
    readFields(r.readBytes(), (ir, f) => {
      const key = COMPACTION_FIELDS[f];
      if (!key) return false;
      p[key] = f === 1 ? ir.readInt32() : ir.readInt64();
      return true;
    });
    m.partitions.push(p);
    return true;
  });
  return m;
}

export function encodeDescribeClusterRequest(_m: MessageInit<DescribeClusterRequest>): Uint8Array {
  return new Uint8Array(0);
}

export function decodeDescribeClusterRequest(b: Uint8Array): DescribeClusterRequest {
  readFields(b, () => false);
  return {};
}

export function encodeClusterBroker(m: MessageInit<ClusterBroker>): Uint8Array {
  const w = new BinaryWriter();
  if (m.id) w.writeString(1, m.id);
  if (m.host) w.writeString(2, m.host);
  if (m.port) w.writeInt32(3, m.port);
  if (m.alive) w.writeBool(4, m.alive);
  if (m.membership) w.writeString(5, m.membership);
  for (const failure of m.localFailures ?? []) w.writeBytes(6, encodeLocalFailure(failure));
  return w.getResultBuffer();
}

export function encodeLocalFailure(m: MessageInit<LocalFailure>): Uint8Array {
  const w = new BinaryWriter();
  if (m.stream) w.writeString(1, m.stream);
  if (m.partition) w.writeInt32(2, m.partition);
  if (m.error) w.writeString(3, m.error);
  return w.getResultBuffer();
}

export function decodeLocalFailure(b: Uint8Array): LocalFailure {
  const m: LocalFailure = { stream: "", partition: 0, error: "" };
  readFields(b, (r, n) => {
    if (n === 1) m.stream = r.readString();
    else if (n === 2) m.partition = r.readInt32();
    else if (n === 3) m.error = r.readString();
    else return false;
    return true;
  });
  return m;
}

export function decodeClusterBroker(b: Uint8Array): ClusterBroker {
  const m: ClusterBroker = {
    id: "",
    host: "",
    port: 0,
    alive: false,
    membership: "",
    localFailures: [],
  };
  readFields(b, (r, n) => {
    if (n === 1) m.id = r.readString();
    else if (n === 2) m.host = r.readString();
    else if (n === 3) m.port = r.readInt32();
    else if (n === 4) m.alive = r.readBool();
    else if (n === 5) m.membership = r.readString();
    else if (n === 6) m.localFailures.push(decodeLocalFailure(r.readBytes()));
    else return false;
    return true;
  });
  return m;
}

export function encodeDescribeClusterResponse(m: MessageInit<DescribeClusterResponse>): Uint8Array {
  const w = new BinaryWriter();
  if (m.serverId) w.writeString(1, m.serverId);
  if (m.controller) w.writeString(2, m.controller);
  if (m.role) w.writeString(3, m.role);
  if (m.term) w.writeUint64(4, m.term);
  if (m.commitIndex) w.writeUint64(5, m.commitIndex);
  if (m.appliedIndex) w.writeUint64(6, m.appliedIndex);
  for (const broker of m.brokers ?? []) w.writeBytes(7, encodeClusterBroker(broker));
  return w.getResultBuffer();
}

export function decodeDescribeClusterResponse(b: Uint8Array): DescribeClusterResponse {
  const m: DescribeClusterResponse = {
    serverId: "",
    controller: "",
    role: "",
    term: 0,
    commitIndex: 0,
    appliedIndex: 0,
    brokers: [],
  };
  readFields(b, (r, n) => {
    if (n === 1) m.serverId = r.readString();
    else if (n === 2) m.controller = r.readString();
    else if (n === 3) m.role = r.readString();
    else if (n === 4) m.term = r.readUint64();
    else if (n === 5) m.commitIndex = r.readUint64();
    else if (n === 6) m.appliedIndex = r.readUint64();
    else if (n === 7) m.brokers.push(decodeClusterBroker(r.readBytes()));
    else return false;
    return true;
  });
  return m;
}

export function encodeDescribePartitionsRequest(
  m: MessageInit<DescribePartitionsRequest>,
): Uint8Array {
  const w = new BinaryWriter();
  if (m.stream) w.writeString(1, m.stream);
  if (m.partitions?.length) w.writePackedInt32(2, m.partitions);
  return w.getResultBuffer();
}

export function decodeDescribePartitionsRequest(b: Uint8Array): DescribePartitionsRequest {
  const m: DescribePartitionsRequest = { stream: "", partitions: [] };
  readFields(b, (r, n) => {
    if (n === 1) m.stream = r.readString();
    else if (n === 2) readInt32List(r, m.partitions);
    else return false;
    return true;
  });
  return m;
}

export function encodeReplicaProgress(m: MessageInit<ReplicaProgress>): Uint8Array {
  const w = new BinaryWriter();
  if (m.replica) w.writeString(1, m.replica);
  if (m.logEndOffset) w.writeInt64(2, m.logEndOffset);
  if (m.lag) w.writeInt64(3, m.lag);
  if (m.inSync) w.writeBool(4, m.inSync);
  if (m.lastFetchMsAgo) w.writeInt64(5, m.lastFetchMsAgo);
  return w.getResultBuffer();
}

export function decodeReplicaProgress(b: Uint8Array): ReplicaProgress {
  const m: ReplicaProgress = {
    replica: "",
    logEndOffset: 0,
    lag: 0,
    inSync: false,
    lastFetchMsAgo: 0,
  };
  readFields(b, (r, n) => {
    if (n === 1) m.replica = r.readString();
    else if (n === 2) m.logEndOffset = r.readInt64();
    else if (n === 3) m.lag = r.readInt64();
    else if (n === 4) m.inSync = r.readBool();
    else if (n === 5) m.lastFetchMsAgo = r.readInt64();
    else return false;
    return true;
  });
  return m;
}

export function encodePartitionProgress(m: MessageInit<PartitionProgress>): Uint8Array {
  const w = new BinaryWriter();
  if (m.partition) w.writeInt32(1, m.partition);
  if (m.leader) w.writeString(2, m.leader);
  if (m.leaderEpoch) w.writeInt64(3, m.leaderEpoch);
  if (m.highWatermark) w.writeInt64(4, m.highWatermark);
  if (m.logEndOffset) w.writeInt64(5, m.logEndOffset);
  for (const replica of m.replicas ?? []) w.writeBytes(6, encodeReplicaProgress(replica));
  return w.getResultBuffer();
}

export function decodePartitionProgress(b: Uint8Array): PartitionProgress {
  const m: PartitionProgress = {
    partition: 0,
    leader: "",
    leaderEpoch: 0,
    highWatermark: 0,
    logEndOffset: 0,
    replicas: [],
  };
  readFields(b, (r, n) => {
    if (n === 1) m.partition = r.readInt32();
    else if (n === 2) m.leader = r.readString();
    else if (n === 3) m.leaderEpoch = r.readInt64();
    else if (n === 4) m.highWatermark = r.readInt64();
    else if (n === 5) m.logEndOffset = r.readInt64();
    else if (n === 6) m.replicas.push(decodeReplicaProgress(r.readBytes()));
    else return false;
    return true;
  });
  return m;
}

export function encodeDescribePartitionsResponse(
  m: MessageInit<DescribePartitionsResponse>,
): Uint8Array {
  const w = new BinaryWriter();
  for (const p of m.partitions ?? []) w.writeBytes(1, encodePartitionProgress(p));
  return w.getResultBuffer();
}

export function decodeDescribePartitionsResponse(b: Uint8Array): DescribePartitionsResponse {
  const m: DescribePartitionsResponse = { partitions: [] };
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    m.partitions.push(decodePartitionProgress(r.readBytes()));
    return true;
  });
  return m;
}

export interface DescribeGroupsRequest {
  groups: string[];
}

export interface GroupAssignment {
  stream: string;
  partitions: number[];
}

export interface GroupMemberDescription {
  consumerId: string;
  streams: string[];
  assignments: GroupAssignment[];
}

export interface GroupDescription {
  groupId: string;
  coordinator: string;
  epoch: number;
  members: GroupMemberDescription[];
}

export interface DescribeGroupsResponse {
  groups: GroupDescription[];
}

export function encodeDescribeGroupsRequest(m: Partial<DescribeGroupsRequest>): Uint8Array {
  return encodeNameList(m.groups);
}

export function decodeDescribeGroupsRequest(b: Uint8Array): DescribeGroupsRequest {
  return { groups: decodeNameList(b) };
}

function encodeGroupAssignment(m: GroupAssignment): Uint8Array {
  const w = new BinaryWriter();
  if (m.stream) w.writeString(1, m.stream);
  if (m.partitions.length) w.writePackedInt32(2, m.partitions);
  return w.getResultBuffer();
}

function decodeGroupAssignment(b: Uint8Array): GroupAssignment {
  const m: GroupAssignment = { stream: "", partitions: [] };
  readFields(b, (r, n) => {
    if (n === 1) m.stream = r.readString();
    else if (n === 2) readInt32List(r, m.partitions);
    else return false;
    return true;
  });
  return m;
}

function encodeGroupMember(m: GroupMemberDescription): Uint8Array {
  const w = new BinaryWriter();
  if (m.consumerId) w.writeString(1, m.consumerId);
  for (const s of m.streams) w.writeString(2, s);
  for (const a of m.assignments) w.writeBytes(3, encodeGroupAssignment(a));
  return w.getResultBuffer();
}

function decodeGroupMember(b: Uint8Array): GroupMemberDescription {
  const m: GroupMemberDescription = { consumerId: "", streams: [], assignments: [] };
  readFields(b, (r, n) => {
    if (n === 1) m.consumerId = r.readString();
    else if (n === 2) m.streams.push(r.readString());
    else if (n === 3) m.assignments.push(decodeGroupAssignment(r.readBytes()));
    else return false;
    return true;
  });
  return m;
}

export function encodeDescribeGroupsResponse(m: DescribeGroupsResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const g of m.groups) {
    const inner = new BinaryWriter();
    if (g.groupId) inner.writeString(1, g.groupId);
    if (g.coordinator) inner.writeString(2, g.coordinator);
    if (g.epoch) inner.writeUint64(3, g.epoch);
    for (const member of g.members) inner.writeBytes(4, encodeGroupMember(member));
    w.writeBytes(1, inner.getResultBuffer());
  }
  return w.getResultBuffer();
}

export function decodeDescribeGroupsResponse(b: Uint8Array): DescribeGroupsResponse {
  const m: DescribeGroupsResponse = { groups: [] };
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    const g: GroupDescription = { groupId: "", coordinator: "", epoch: 0, members: [] };
    readFields(r.readBytes(), (gr, gn) => {
      if (gn === 1) g.groupId = gr.readString();
      else if (gn === 2) g.coordinator = gr.readString();
      else if (gn === 3) g.epoch = gr.readUint64();
      else if (gn === 4) g.members.push(decodeGroupMember(gr.readBytes()));
      else return false;
      return true;
    });
    m.groups.push(g);
    return true;
  });
  return m;
}

const toBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
const empty = () => Buffer.alloc(0);

function unary<Req, Res>(
  name: string,
  encodeReq: (m: Req) => Uint8Array,
  decodeReq: (b: Uint8Array) => Req,
  encodeRes: (m: Res) => Uint8Array,
  decodeRes: (b: Uint8Array) => Res,
) {
  return {
    path: `/lb.admin.Admin/${name}`,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => toBuffer(encodeReq(m)),
    requestDeserialize: (b: Buffer) => decodeReq(b),
    responseSerialize: (m: Res) => toBuffer(encodeRes(m)),
    responseDeserialize: (b: Buffer) => decodeRes(b),
  } as const;
}

export const adminServiceDefinition = {
  DescribeStreams: unary(
    "DescribeStreams",
    encodeDescribeStreamsRequest,
    decodeDescribeStreamsRequest,
    encodeDescribeStreamsResponse,
    decodeDescribeStreamsResponse,
  ),
  CreateStream: unary(
    "CreateStream",
    encodeAdminCreateStreamRequest,
    decodeAdminCreateStreamRequest,
    empty,
    () => ({}),
  ),
  Compact: unary(
    "Compact",
    encodeCompactRequest,
    decodeCompactRequest,
    encodeCompactResponse,
    decodeCompactResponse,
  ),
  DescribeCluster: unary(
    "DescribeCluster",
    encodeDescribeClusterRequest,
    decodeDescribeClusterRequest,
    encodeDescribeClusterResponse,
    decodeDescribeClusterResponse,
  ),
  DescribePartitions: unary(
    "DescribePartitions",
    encodeDescribePartitionsRequest,
    decodeDescribePartitionsRequest,
    encodeDescribePartitionsResponse,
    decodeDescribePartitionsResponse,
  ),
  DescribeGroups: unary(
    "DescribeGroups",
    encodeDescribeGroupsRequest,
    decodeDescribeGroupsRequest,
    encodeDescribeGroupsResponse,
    decodeDescribeGroupsResponse,
  ),
} satisfies ServiceDefinition;

type Callback<Res> = grpc.requestCallback<Res>;
type Options = Partial<grpc.CallOptions>;

export interface AdminClient extends grpc.Client {
  describeStreams(
    request: Partial<DescribeStreamsRequest>,
    options: Options,
    callback: Callback<DescribeStreamsResponse>,
  ): grpc.ClientUnaryCall;
  createStream(
    request: MessageInit<AdminCreateStreamRequest>,
    options: Options,
    callback: Callback<object>,
  ): grpc.ClientUnaryCall;
  compact(
    request: Partial<CompactRequest>,
    options: Options,
    callback: Callback<CompactResponse>,
  ): grpc.ClientUnaryCall;
  describeCluster(
    request: MessageInit<DescribeClusterRequest>,
    options: Options,
    callback: Callback<DescribeClusterResponse>,
  ): grpc.ClientUnaryCall;
  describePartitions(
    request: MessageInit<DescribePartitionsRequest>,
    options: Options,
    callback: Callback<DescribePartitionsResponse>,
  ): grpc.ClientUnaryCall;
  describeGroups(
    request: Partial<DescribeGroupsRequest>,
    options: Options,
    callback: Callback<DescribeGroupsResponse>,
  ): grpc.ClientUnaryCall;
}

export const AdminClient = grpc.makeGenericClientConstructor(
  adminServiceDefinition,
  "Admin",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => AdminClient;
