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

export function encodeDescribeStreamsRequest(m: Partial<DescribeStreamsRequest>): Uint8Array {
  const w = new BinaryWriter();
  for (const s of m.streams ?? []) w.writeString(1, s);
  return w.getResultBuffer();
}

export function decodeDescribeStreamsRequest(b: Uint8Array): DescribeStreamsRequest {
  const m: DescribeStreamsRequest = { streams: [] };
  readFields(b, (r, n) => {
    if (n !== 1) return false;
    m.streams.push(r.readString());
    return true;
  });
  return m;
}

export function encodeDescribeStreamsResponse(m: DescribeStreamsResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const s of m.streams) {
    const inner = new BinaryWriter();
    inner.writeBytes(1, encodeCreateStreamRequest(s.config));
    if (s.creationTimestamp !== 0n) inner.writeInt64String(2, s.creationTimestamp.toString());
    if (s.syncPolicy) inner.writeString(3, s.syncPolicy);
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
  };
  readFields(b, (r, n) => {
    if (n === 1) d.config = decodeCreateStreamRequest(r.readBytes());
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
}

export const AdminClient = grpc.makeGenericClientConstructor(
  adminServiceDefinition,
  "Admin",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => AdminClient;
