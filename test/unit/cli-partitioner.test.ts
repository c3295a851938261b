import test from "ava";
import { partitionForKey } from "../../src/client/index.js";
import { RoundRobinPartitioner } from "../../src/client/partitioner.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

// go-liftbridge's PartitionByKey: int32(crc32.ChecksumIEEE(key) % uint32(partitions)). The
// expected values come from an independent IEEE CRC-32 (Python's zlib.crc32), e.g.
// crc32("123456789") = 0xCBF43926, the standard check value.
const GO_LIFTBRIDGE_PARTITIONS: [Uint8Array, number[]][] = [
  // key                                                   partitions: 2, 3, 5, 8, 16
  [utf8(""), [0, 0, 0, 0, 0]],
  [utf8("k1"), [1, 1, 3, 1, 9]],
  [utf8("a"), [1, 0, 2, 3, 3]],
  [utf8("orders-17"), [0, 0, 4, 2, 10]],
  [utf8("customer-42"), [1, 2, 0, 5, 5]],
  [utf8("123456789"), [0, 2, 2, 6, 6]],
  [utf8("The quick brown fox jumps over the lazy dog"), [1, 1, 4, 1, 9]],
  [Uint8Array.of(0xff, 0x00, 0x80), [1, 2, 2, 7, 15]],
];

test("keys land on the partitions go-liftbridge's PartitionByKey picks", (t) => {
  for (const [key, expected] of GO_LIFTBRIDGE_PARTITIONS) {
    const actual = [2, 3, 5, 8, 16].map((count) => partitionForKey(key, count));
    t.deepEqual(actual, expected, Buffer.from(key).toString("hex"));
  }
});

test("keys hash the same however the bytes are viewed", (t) => {
  const backing = Uint8Array.of(0, 0x6b, 0x31, 0); // "k1" in the middle of a larger buffer
  t.is(partitionForKey(backing.subarray(1, 3), 16), 9);
});

test("an absent key hashes like an empty one; no partitions means partition 0", (t) => {
  t.is(partitionForKey(undefined, 5), partitionForKey(new Uint8Array(0), 5));
  t.is(partitionForKey(utf8("k1"), 0), 0);
  t.is(partitionForKey(utf8("k1"), 1), 0);
});

test("round-robin cycles through the partitions from 0, one counter per stream", (t) => {
  const partitioner = new RoundRobinPartitioner();
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map(() => partitioner.next("orders", 3)),
    [0, 1, 2, 0, 1, 2, 0],
  );
  t.deepEqual(
    [0, 1, 2].map(() => partitioner.next("audit", 2)),
    [0, 1, 0],
  );
  t.is(partitioner.next("empty", 0), 0);
});
