import { randomBytes } from "node:crypto";
import test from "ava";
import {
  type Chunk,
  ChunkAssembler,
  ChunkError,
  chunkHeaderBytes,
  decodeChunk,
  encodeChunk,
  splitIntoChunks,
} from "../../src/server/raft/index.js";

const LIMIT = 1 << 20;

/** Encodes and decodes every chunk, as the transport does. */
function overTheWire(chunks: Chunk[]): Chunk[] {
  return chunks.map((c) => decodeChunk(encodeChunk(c)));
}

function assemble(assembler: ChunkAssembler, chunks: Chunk[]): Uint8Array | undefined {
  let out: Uint8Array | undefined;
  for (const [i, chunk] of chunks.entries()) {
    out = assembler.accept(chunk);
    if (i < chunks.length - 1) if (out !== undefined) throw new Error(`finished early at ${i}`);
  }
  return out;
}

test("a payload of any size is split, sent and reassembled byte for byte", (t) => {
  for (const size of [0, 1, 999, 1000, 1001, 25_000]) {
    const payload = randomBytes(size);
    const chunks = overTheWire(splitIntoChunks(payload, 1000, "a", `t${size}`));
    t.is(chunks.length, Math.max(1, Math.ceil(size / 1000)), `${size} bytes`);
    for (const c of chunks) t.true(c.data.length <= 1000);
    const assembler = new ChunkAssembler(LIMIT);
    t.deepEqual(Buffer.from(assemble(assembler, chunks)!), payload, `${size} bytes`);
    t.is(assembler.inProgress, 0);
  }
});

test("an encoded chunk is no larger than its data plus chunkHeaderBytes", (t) => {
  const transfer = "snapshot-7-0123456789ab";
  const [chunk] = splitIntoChunks(randomBytes(5000), 5000, "broker-1", transfer);
  t.true(encodeChunk(chunk!).length <= 5000 + chunkHeaderBytes("broker-1", transfer));
});

test("a chunk out of sequence abandons the transfer; the sender starting over succeeds", (t) => {
  const payload = randomBytes(5000);
  const chunks = splitIntoChunks(payload, 1000, "a", "t1");
  const assembler = new ChunkAssembler(LIMIT);
  assembler.accept(chunks[0]!);
  assembler.accept(chunks[1]!);
  t.throws(() => assembler.accept(chunks[3]!), {
    instanceOf: ChunkError,
    message: /expected chunk 2/,
  });
  t.is(assembler.inProgress, 0);
  t.throws(() => assembler.accept(chunks[2]!), { message: /no such transfer in progress/ });
  t.deepEqual(Buffer.from(assemble(assembler, chunks)!), payload);
});

test("a repeated chunk is refused", (t) => {
  const chunks = splitIntoChunks(randomBytes(3000), 1000, "a", "t1");
  const assembler = new ChunkAssembler(LIMIT);
  assembler.accept(chunks[0]!);
  assembler.accept(chunks[1]!);
  t.throws(() => assembler.accept(chunks[1]!), { message: /expected chunk 2/ });
});

test("a damaged chunk fails the checksum of the reassembled payload", (t) => {
  const chunks = splitIntoChunks(randomBytes(3000), 1000, "a", "t1");
  const damaged = Buffer.from(chunks[1]!.data);
  damaged[10]! ^= 0xff;
  chunks[1] = { ...chunks[1]!, data: damaged };
  const assembler = new ChunkAssembler(LIMIT);
  t.throws(() => assemble(assembler, chunks), { instanceOf: ChunkError, message: /CRC-32C/ });
  t.is(assembler.inProgress, 0);
});

test("chunks that disagree with the first one's header are refused", (t) => {
  const chunks = splitIntoChunks(randomBytes(3000), 1000, "a", "t1");
  const assembler = new ChunkAssembler(LIMIT);
  assembler.accept(chunks[0]!);
  t.throws(() => assembler.accept({ ...chunks[1]!, total: 4000 }), {
    message: /differ from the first chunk's/,
  });
  assembler.accept(chunks[0]!);
  t.throws(() => assembler.accept({ ...chunks[1]!, transfer: "t2" }), {
    message: /no such transfer/,
  });
});

test("more or fewer bytes than declared are refused", (t) => {
  const chunks = splitIntoChunks(randomBytes(3000), 1000, "a", "t1");
  const assembler = new ChunkAssembler(LIMIT);
  assembler.accept(chunks[0]!);
  assembler.accept(chunks[1]!);
  t.throws(() => assembler.accept({ ...chunks[2]!, data: randomBytes(1001) }), {
    message: /more than the declared 3000/,
  });
  assembler.accept(chunks[0]!);
  assembler.accept(chunks[1]!);
  t.throws(() => assembler.accept({ ...chunks[2]!, data: randomBytes(999) }), {
    message: /2999 bytes received in 3 chunks, expected 3000/,
  });
});

test("a transfer declaring more than the limit is refused before anything is allocated", (t) => {
  const assembler = new ChunkAssembler(10_000);
  const [first] = splitIntoChunks(randomBytes(100), 100, "a", "t1");
  t.throws(() => assembler.accept({ ...first!, total: 10_001, count: 2 }), {
    message: /at most 10000 bytes/,
  });
  t.is(assembler.inProgress, 0);
});

test("a new transfer replaces the sender's unfinished one; senders do not interfere", (t) => {
  const assembler = new ChunkAssembler(LIMIT);
  const old = splitIntoChunks(randomBytes(3000), 1000, "a", "old");
  const fresh = randomBytes(2500);
  const fromA = splitIntoChunks(fresh, 1000, "a", "new");
  const fromB = randomBytes(1500);
  const chunksB = splitIntoChunks(fromB, 1000, "b", "old");
  assembler.accept(old[0]!);
  assembler.accept(chunksB[0]!);
  assembler.accept(fromA[0]!);
  t.throws(() => assembler.accept(old[1]!), { message: /no such transfer/ });
  assembler.accept(fromA[1]!);
  t.deepEqual(Buffer.from(assembler.accept(chunksB[1]!)!), fromB);
  t.deepEqual(Buffer.from(assembler.accept(fromA[2]!)!), fresh);
});

test("idle unfinished transfers are dropped, freeing their memory", (t) => {
  const assembler = new ChunkAssembler(LIMIT);
  const chunks = splitIntoChunks(randomBytes(3000), 1000, "a", "t1");
  assembler.accept(chunks[0]!, 1000);
  assembler.dropIdle(500);
  t.is(assembler.inProgress, 1);
  assembler.dropIdle(2000);
  t.is(assembler.inProgress, 0);
});
