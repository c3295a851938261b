import test from "ava";
import { nothingBeforeLatest } from "../../src/cli/stop-at-latest.js";
import type { PartitionMetadata } from "../../src/client/index.js";

const partition = (newestOffset: number, latestTimestamp?: bigint): PartitionMetadata => ({
  id: 0,
  leader: "b1",
  replicas: ["b1"],
  isr: ["b1"],
  highWatermark: newestOffset,
  newestOffset,
  paused: false,
  readonly: false,
  messagesReceivedTimestamps:
    latestTimestamp === undefined ? undefined : { firstTimestamp: 1n, latestTimestamp },
});

test("an empty partition has nothing to read whatever the start", (t) => {
  for (const start of [{ kind: "earliest" }, { kind: "latest" }, { kind: "new" }] as const) {
    t.true(nothingBeforeLatest(start, partition(-1)), start.kind);
  }
});

test("new-only has nothing before the newest message; earliest and latest always have one", (t) => {
  t.true(nothingBeforeLatest({ kind: "new" }, partition(5)));
  t.false(nothingBeforeLatest({ kind: "earliest" }, partition(5)));
  t.false(nothingBeforeLatest({ kind: "latest" }, partition(0)));
});

test("an offset start past the newest offset has nothing to read", (t) => {
  t.false(nothingBeforeLatest({ kind: "offset", offset: 5 }, partition(5)));
  t.true(nothingBeforeLatest({ kind: "offset", offset: 6 }, partition(5)));
});

test("a time start after the newest message's arrival has nothing to read", (t) => {
  t.true(nothingBeforeLatest({ kind: "timestamp", timestamp: 101n }, partition(5, 100n)));
  t.false(nothingBeforeLatest({ kind: "timestamp", timestamp: 100n }, partition(5, 100n)));
  // Without arrival times, let the server decide.
  t.false(nothingBeforeLatest({ kind: "timestamp", timestamp: 101n }, partition(5)));
});
