import { status } from "@grpc/grpc-js";
import test from "ava";
import {
  ActivityStreamOp,
  ConsumerGroupMetadataError,
  decodeActivityStreamEvent,
  type FetchConsumerGroupAssignmentsResponse,
  type FetchMetadataResponse,
  type JoinConsumerGroupResponse,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, rawClient } from "../helpers/rpc.js";
import { collect, open } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

type Client = ReturnType<typeof rawClient>;
const join = (client: Client, groupId: string, consumerId: string, streams: string[]) =>
  call<unknown, JoinConsumerGroupResponse>(client, "joinConsumerGroup", {
    groupId,
    consumerId,
    streams,
  });
const fetch = async (client: Client, groupId: string, consumerId: string, epoch: number) => {
  const r = await call<unknown, FetchConsumerGroupAssignmentsResponse>(
    client,
    "fetchConsumerGroupAssignments",
    { groupId, consumerId, epoch },
  );
  return {
    epoch: r.epoch,
    assignments: Object.fromEntries(r.assignments.map((a) => [a.stream, a.partitions])),
  };
};

test("consumer groups balance partitions over members, fence by epoch, and report metadata", async (t) => {
  const nats = await startNats(t);
  const { address, broker } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "a", subject: "a", partitions: 2 });
  await call(client, "createStream", { name: "b", subject: "b" });

  const first = await join(client, "g", "c1", ["a", "b"]);
  t.is(first.coordinator, broker.serverId);
  t.is(first.consumerTimeout, 15_000_000_000, "nanoseconds, as upstream's Go durations");
  t.deepEqual(await fetch(client, "g", "c1", first.epoch), {
    epoch: first.epoch,
    assignments: { a: [0, 1], b: [0] },
  });

  const second = await join(client, "g", "c2", ["a"]);
  t.true(second.epoch > first.epoch);
  t.is(
    await codeOf(fetch(client, "g", "c1", first.epoch)),
    status.FAILED_PRECONDITION,
    "stale epoch",
  );
  t.deepEqual((await fetch(client, "g", "c1", second.epoch)).assignments, { a: [0], b: [0] });
  t.deepEqual((await fetch(client, "g", "c2", second.epoch)).assignments, { a: [1] });

  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
    groups: ["g", "nope"],
  });
  t.deepEqual(
    md.groupMetadata.map((g) => [g.groupId, g.error, g.coordinator, g.epoch]),
    [
      ["g", ConsumerGroupMetadataError.OK, broker.serverId, second.epoch],
      ["nope", ConsumerGroupMetadataError.UNKNOWN_GROUP, "", 0],
    ],
  );

  // Only the assigned member may read a partition for the group.
  const consumer = (id: string) => ({ groupId: "g", consumerId: id, groupEpoch: second.epoch });
  const refused = await collect(client, { stream: "a", partition: 0, consumer: consumer("c2") });
  t.is(refused.code, status.FAILED_PRECONDITION);
  const reading = open(client, {
    stream: "a",
    partition: 1,
    startPosition: StartPosition.EARLIEST,
    consumer: consumer("c2"),
  });
  await reading.ready;
  // A newer subscription of the same member replaces the older one, which ends.
  const newer = open(client, {
    stream: "a",
    partition: 1,
    startPosition: StartPosition.EARLIEST,
    consumer: consumer("c2"),
  });
  await newer.ready;
  t.is((await reading.done).code, 0);

  await call(client, "leaveConsumerGroup", { groupId: "g", consumerId: "c2" });
  t.is(
    await codeOf(call(client, "leaveConsumerGroup", { groupId: "g", consumerId: "c2" })),
    status.NOT_FOUND,
  );
  t.is(await codeOf(join(client, "", "c1", ["a"])), status.INVALID_ARGUMENT);
  t.is(await codeOf(join(client, "g", "c1", [])), status.INVALID_ARGUMENT);
  t.is(await codeOf(join(client, "g", "c1", ["missing"])), status.NOT_FOUND);
  t.is(await codeOf(fetch(client, "nope", "c1", 1)), status.NOT_FOUND);
});

test("members that stop fetching assignments expire; joins and leaves reach the activity stream", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, {
    flags: { "groups.consumer.timeout": "500ms", "activity.stream.enabled": true },
  });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });
  await join(client, "quiet", "c1", ["s"]);
  await waitFor(
    async () => {
      const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
        groups: ["quiet"],
      });
      return md.groupMetadata[0]!.error === ConsumerGroupMetadataError.UNKNOWN_GROUP;
    },
    { timeoutMs: 10_000, message: "the silent member expired and the empty group went away" },
  );
  await waitFor(
    async () => {
      const r = await collect(client, {
        stream: "__activity",
        startPosition: StartPosition.EARLIEST,
        stopPosition: StopPosition.STOP_LATEST,
      });
      return r.messages.length === 3;
    },
    { message: "create, join and leave events" },
  );
  const r = await collect(client, {
    stream: "__activity",
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_LATEST,
  });
  const events = r.messages.map((m) => decodeActivityStreamEvent(m.value));
  t.deepEqual(
    events.map((e) => e.op),
    [
      ActivityStreamOp.CREATE_STREAM,
      ActivityStreamOp.JOIN_CONSUMER_GROUP,
      ActivityStreamOp.LEAVE_CONSUMER_GROUP,
    ],
  );
  t.deepEqual(events[1]!.joinConsumerGroupOp, {
    groupId: "quiet",
    consumerId: "c1",
    streams: ["s"],
  });
  t.deepEqual(events[2]!.leaveConsumerGroupOp, {
    groupId: "quiet",
    consumerId: "c1",
    expired: true,
  });
});
