import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import fc from "fast-check";
import { type Ack, AckPolicy, StartPosition } from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const RECORDS = 40;
const flags = { "streams.segment.max.bytes": 2048 };
const value = (i: number) => Buffer.from(`record-${i}:`.padEnd(100, "x"));

/** Every file under `dir`, as paths relative to it, in a stable order. */
async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return found.sort();
}

/**
 * Files whose damage stops start-up by design, with the one-line error that says so: the
 * format file (an unknown format is never guessed at) and the metadata Raft storage's
 * checksummed hard state, snapshot and entries (a single broker has no peer to repair them
 * from, and guessing the metadata could serve a stream under another stream's files), and the
 * server id, when the damaged one is not a member of the stored Raft group.
 */
const REFUSED: [RegExp, RegExp][] = [
  [/^FORMAT$/, /has format/],
  [/^raft\//, /raft/i],
  [/^server-id$/, /not a member of the metadata Raft group/],
];

interface Served {
  /** Offsets reported damaged or missing (DATA_LOSS). */
  lost: number[];
  served: Map<number, Buffer>;
}

/** Reads offsets 0..count-1, continuing past each DATA_LOSS after the offset it names. */
async function readAll(client: ApiClient, count: number): Promise<Served> {
  const result: Served = { lost: [], served: new Map() };
  let from = 0;
  while (from < count) {
    const r = await collect(
      client,
      { stream: "s", startPosition: StartPosition.OFFSET, startOffset: from },
      count - from,
      10_000,
    );
    for (const m of r.messages) {
      if (result.served.has(m.offset)) throw new Error(`offset ${m.offset} served twice`);
      result.served.set(m.offset, Buffer.from(m.value));
      from = m.offset + 1;
    }
    if (r.code === undefined || r.code === 0) {
      if (r.messages.length === 0) throw new Error(`no record served from offset ${from}`);
      continue;
    }
    if (r.code !== status.DATA_LOSS) throw new Error(`subscription ended ${r.code}: ${r.details}`);
    const at = /at offset (\d+)/.exec(r.details ?? "");
    if (!at) throw new Error(`DATA_LOSS without an offset: ${r.details}`);
    const offset = Number(at[1]);
    if (offset < from) throw new Error(`DATA_LOSS at ${offset}, before ${from}`);
    result.lost.push(offset);
    from = offset + 1;
  }
  return result;
}

test("random damage to any file of a stopped broker: start-up refuses clearly or every served record is the acked one, losses are DATA_LOSS, no offset is reused", async (t) => {
  t.timeout(180_000);
  const nats = await startNats(t);
  const outcomes = { refused: 0, started: 0, files: new Set<string>() };
  await fc.assert(
    fc.asyncProperty(
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      fc.boolean(),
      (filePick, bytePick, bit, truncating) =>
        damageOnce(filePick, bytePick, bit, truncating).catch((err: Error) => {
          t.log(err.message);
          throw err;
        }),
    ),
    { numRuns: 30, verbose: 1 },
  );
  t.log(
    `${outcomes.refused} start-ups refused, ${outcomes.started} served: ${[...outcomes.files].join(" ")}`,
  );
  t.pass();

  async function damageOnce(filePick: number, bytePick: number, bit: number, truncating: boolean) {
    const first = await startBroker(t, nats.url, { flags });
    const client = rawClient(t, first.address);
    await call(client, "createStream", { name: "s", subject: "s" });
    for (let i = 0; i < RECORDS; i++) {
      const res = await call<unknown, { ack: Ack }>(client, "publish", {
        stream: "s",
        value: value(i),
        ackPolicy: AckPolicy.LEADER,
      });
      if (res.ack.offset !== i) throw new Error(`record ${i} acked at ${res.ack.offset}`);
    }
    client.close();
    await first.stop();

    const files = (await filesUnder(first.dataDir)).filter((f) => f !== "lock");
    const file = files[filePick % files.length]!;
    outcomes.files.add(file);
    const path = join(first.dataDir, file);
    const size = (await stat(path)).size;
    let damage: string;
    if (truncating || size === 0) {
      const at = size === 0 ? 0 : bytePick % size;
      await truncate(path, at);
      damage = `${file} truncated to ${at} of ${size} bytes`;
    } else {
      const bytes = await readFile(path);
      const at = bytePick % size;
      bytes[at]! ^= 1 << bit;
      await writeFile(path, bytes);
      damage = `${file} bit ${bit} flipped at ${at} of ${size}`;
    }

    let second: Awaited<ReturnType<typeof first.restart>>;
    try {
      second = await first.restart();
    } catch (err) {
      const message = (err as Error).message;
      const refused = REFUSED.find(([name]) => name.test(file));
      if (!refused) throw new Error(`start-up failed after ${damage}: ${message}`);
      if (!refused[1].test(message) || message.includes("\n")) {
        throw new Error(`unclear start-up error after ${damage}: ${message}`);
      }
      outcomes.refused++;
      return;
    }
    outcomes.started++;
    try {
      const reader = rawClient(t, second.address);
      const { lost, served } = await readAll(reader, RECORDS);
      for (const [offset, bytes] of served) {
        if (offset >= RECORDS || !bytes.equals(value(offset))) {
          throw new Error(`after ${damage}: offset ${offset} served "${bytes}"`);
        }
      }
      for (let i = 0; i < RECORDS; i++) {
        if (!served.has(i) && !lost.includes(i)) {
          throw new Error(`after ${damage}: offset ${i} neither served nor reported`);
        }
      }
      const res = await call<unknown, { ack: Ack }>(reader, "publish", {
        stream: "s",
        value: value(RECORDS),
        ackPolicy: AckPolicy.LEADER,
      });
      if (res.ack.offset < RECORDS) {
        throw new Error(`after ${damage}: a new record reused acked offset ${res.ack.offset}`);
      }
      reader.close();
    } finally {
      await second.stop();
    }
  }
});
