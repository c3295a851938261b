import path from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import protobuf from "protobufjs";
import * as admin from "../../src/wire/admin.js";
import type { MessageInit } from "../../src/wire/api.js";

// The lb.admin messages behind DescribeCluster and DescribePartitions, checked against
// proto/admin.proto through protobufjs, an implementation independent of ours.

const bytes = (...values: number[]) => Uint8Array.from(values);
const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

const follower: admin.ReplicaProgress = {
  replica: "b2",
  logEndOffset: 2 ** 40,
  lag: 17,
  inSync: true,
  lastFetchMsAgo: 1250,
};

const progress: admin.PartitionProgress = {
  partition: 3,
  leader: "b1",
  leaderEpoch: 7,
  highWatermark: -1,
  logEndOffset: 2 ** 53 - 1,
  replicas: [follower, { ...follower, replica: "b3", inSync: false, lag: 0 }],
};

const clusterBroker: admin.ClusterBroker = {
  id: "b1",
  host: "::1",
  port: 9292,
  alive: true,
  membership: "learner",
  localFailures: [
    { stream: "orders", partition: 0, error: "EEXIST: file already exists" },
    { stream: "é".repeat(3), partition: 7, error: "" },
  ],
};

interface Case<T> {
  name: string;
  encode: (m: MessageInit<T>) => Uint8Array;
  decode: (b: Uint8Array) => T;
  sample: T;
}
const c = <T>(
  name: string,
  encode: (m: MessageInit<T>) => Uint8Array,
  decode: (b: Uint8Array) => T,
  sample: T,
): Case<object> => ({ name, encode, decode, sample }) as unknown as Case<object>;

const cases: Case<object>[] = [
  c(
    "DescribeClusterRequest",
    admin.encodeDescribeClusterRequest,
    admin.decodeDescribeClusterRequest,
    {},
  ),
  c("ClusterBroker", admin.encodeClusterBroker, admin.decodeClusterBroker, clusterBroker),
  c(
    "DescribeClusterResponse",
    admin.encodeDescribeClusterResponse,
    admin.decodeDescribeClusterResponse,
    {
      serverId: "b2",
      controller: "b1",
      role: "follower",
      term: 2 ** 33,
      commitIndex: 2 ** 50,
      appliedIndex: 99,
      brokers: [clusterBroker, { ...clusterBroker, id: "b2", alive: false, membership: "voter" }],
    },
  ),
  c(
    "DescribePartitionsRequest",
    admin.encodeDescribePartitionsRequest,
    admin.decodeDescribePartitionsRequest,
    { stream: "orders", partitions: [0, 2, 5] },
  ),
  c("ReplicaProgress", admin.encodeReplicaProgress, admin.decodeReplicaProgress, follower),
  c("PartitionProgress", admin.encodePartitionProgress, admin.decodePartitionProgress, progress),
  c(
    "DescribePartitionsResponse",
    admin.encodeDescribePartitionsResponse,
    admin.decodeDescribePartitionsResponse,
    { partitions: [progress, { ...progress, partition: 0, replicas: [] }] },
  ),
];

const protoPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../proto/admin.proto",
);
let rootPromise: Promise<protobuf.Root> | undefined;
function loadAdminProto(): Promise<protobuf.Root> {
  rootPromise ??= protobuf.load(protoPath);
  return rootPromise;
}

/** What a decoder must produce for an absent field, from its declaration in admin.proto. */
function protoDefault(type: protobuf.Type, fieldName: string): unknown {
  const field = type.fields[fieldName];
  if (!field) throw new Error(`${type.name} has no field ${fieldName}`);
  if (field.repeated) return [];
  if (field.resolve().resolvedType instanceof protobuf.Type) return undefined;
  if (field.type === "string") return "";
  if (field.type === "bool") return false;
  return 0;
}

test("the RPCs are in the service definition under lb.admin.Admin", (t) => {
  t.is(admin.adminServiceDefinition.DescribeCluster.path, "/lb.admin.Admin/DescribeCluster");
  t.is(admin.adminServiceDefinition.DescribePartitions.path, "/lb.admin.Admin/DescribePartitions");
});

test("admin.proto declares both RPCs with these request and response types", async (t) => {
  const service = (await loadAdminProto()).lookupService("lb.admin.Admin");
  t.like(service.methods.DescribeCluster, {
    requestType: "DescribeClusterRequest",
    responseType: "DescribeClusterResponse",
  });
  t.like(service.methods.DescribePartitions, {
    requestType: "DescribePartitionsRequest",
    responseType: "DescribePartitionsResponse",
  });
});

for (const { name, encode, decode, sample } of cases) {
  test(`${name}: round-trips every field`, (t) => {
    t.deepEqual(decode(encode(sample)), sample);
  });

  test(`${name}: empty input decodes to proto3 defaults, and defaults encode to nothing`, async (t) => {
    const type = (await loadAdminProto()).lookupType(`lb.admin.${name}`);
    const decoded = decode(new Uint8Array(0)) as Record<string, unknown>;
    t.deepEqual(Object.keys(decoded).sort(), Object.keys(sample as object).sort());
    t.deepEqual(
      Object.keys(decoded).sort(),
      Object.keys(type.fields).sort(),
      "fields of the .proto",
    );
    for (const [field, value] of Object.entries(decoded)) {
      t.deepEqual(value, protoDefault(type, field), `${name}.${field}`);
    }
    t.is(encode(decoded).length, 0);
    t.is(encode({}).length, 0);
  });

  test(`${name}: unknown fields of every wire type are skipped`, (t) => {
    const unknown = bytes(
      ...[0xf8, 0x07, 0x96, 0x01], // field 127 varint 150
      ...[0xf9, 0x07, 1, 2, 3, 4, 5, 6, 7, 8], // field 127 fixed64
      ...[0xfa, 0x07, 0x02, 0xaa, 0xbb], // field 127 length-delimited
      ...[0xfd, 0x07, 1, 2, 3, 4], // field 127 fixed32
    );
    t.deepEqual(decode(concat(unknown, encode(sample))), sample);
  });

  test(`${name}: protobufjs reads our encoding, and we read protobufjs's`, async (t) => {
    const type = (await loadAdminProto()).lookupType(`lb.admin.${name}`);
    const theirs = type.toObject(type.decode(encode(sample)), {
      longs: Number,
      defaults: true,
      arrays: true,
    });
    t.deepEqual(theirs, sample);
    t.deepEqual(
      decode(type.encode(type.fromObject(sample as Record<string, unknown>)).finish()),
      sample,
    );
  });
}

test("repeated partitions decode both the packed and the unpacked form", (t) => {
  t.deepEqual(
    admin.encodeDescribePartitionsRequest({ partitions: [1, 2, 3] }),
    bytes(0x12, 0x03, 1, 2, 3),
  );
  const unpacked = bytes(0x10, 1, 0x10, 2, 0x12, 0x01, 3);
  t.deepEqual(admin.decodeDescribePartitionsRequest(unpacked).partitions, [1, 2, 3]);
});

test("a negative high watermark survives as -1, not as a huge unsigned number", (t) => {
  const encoded = admin.encodePartitionProgress({ highWatermark: -1, logEndOffset: -1 });
  const decoded = admin.decodePartitionProgress(encoded);
  t.is(decoded.highWatermark, -1);
  t.is(decoded.logEndOffset, -1);
});
