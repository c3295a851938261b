/** Codecs and the gRPC service definition of proto/admin.proto (package lb.admin). */
import type { ServiceDefinition } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import pb from "google-protobuf";
import {
  type CreateStreamRequest,
  decodeCreateStreamRequest,
  encodeCreateStreamRequest,
} from "./api.js";

const { BinaryReader, BinaryWriter } = pb;

export interface DescribeStreamsRequest {
  streams: string[];
}

export interface StreamDescription {
  config: CreateStreamRequest;
  creationTimestamp: bigint;
}

export interface DescribeStreamsResponse {
  streams: StreamDescription[];
}

export function encodeDescribeStreamsRequest(m: Partial<DescribeStreamsRequest>): Uint8Array {
  const w = new BinaryWriter();
  for (const s of m.streams ?? []) w.writeString(1, s);
  return w.getResultBuffer();
}

export function decodeDescribeStreamsRequest(b: Uint8Array): DescribeStreamsRequest {
  const r = new BinaryReader(b);
  const m: DescribeStreamsRequest = { streams: [] };
  while (r.nextField() && !r.isEndGroup()) {
    if (r.getFieldNumber() === 1) m.streams.push(r.readString());
    else r.skipField();
  }
  return m;
}

export function encodeDescribeStreamsResponse(m: DescribeStreamsResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const s of m.streams) {
    const inner = new BinaryWriter();
    inner.writeBytes(1, encodeCreateStreamRequest(s.config));
    if (s.creationTimestamp !== 0n) inner.writeInt64String(2, s.creationTimestamp.toString());
    w.writeBytes(1, inner.getResultBuffer());
  }
  return w.getResultBuffer();
}

export function decodeDescribeStreamsResponse(b: Uint8Array): DescribeStreamsResponse {
  const r = new BinaryReader(b);
  const m: DescribeStreamsResponse = { streams: [] };
  while (r.nextField() && !r.isEndGroup()) {
    if (r.getFieldNumber() === 1) m.streams.push(decodeStreamDescription(r.readBytes()));
    else r.skipField();
  }
  return m;
}

function decodeStreamDescription(b: Uint8Array): StreamDescription {
  const r = new BinaryReader(b);
  let config = decodeCreateStreamRequest(new Uint8Array(0));
  let creationTimestamp = 0n;
  while (r.nextField() && !r.isEndGroup()) {
    const field = r.getFieldNumber();
    if (field === 1) config = decodeCreateStreamRequest(r.readBytes());
    else if (field === 2) creationTimestamp = BigInt(r.readInt64String());
    else r.skipField();
  }
  return { config, creationTimestamp };
}

const toBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

export const adminServiceDefinition = {
  DescribeStreams: {
    path: "/lb.admin.Admin/DescribeStreams",
    originalName: "describeStreams",
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Partial<DescribeStreamsRequest>) =>
      toBuffer(encodeDescribeStreamsRequest(m)),
    requestDeserialize: (b: Buffer) => decodeDescribeStreamsRequest(b),
    responseSerialize: (m: DescribeStreamsResponse) => toBuffer(encodeDescribeStreamsResponse(m)),
    responseDeserialize: (b: Buffer) => decodeDescribeStreamsResponse(b),
  },
} satisfies ServiceDefinition;

export interface AdminClient extends grpc.Client {
  describeStreams(
    request: Partial<DescribeStreamsRequest>,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<DescribeStreamsResponse>,
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
