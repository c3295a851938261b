import { crc32c } from "../../wire/crc32c.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { CODEC_VERSION } from "./codec.js";
import { DecodeError } from "./errors.js";

/**
 * A payload too large for one transport message (an encoded Raft message: a snapshot, or an
 * append carrying one oversized entry) travels as a numbered sequence of chunks, like the
 * chunked InstallSnapshot of hashicorp/raft or etcd's snapshot sender. Every chunk repeats
 * the transfer's identity, its chunk count, the payload's total length and its CRC-32C, so the
 * receiver checks each chunk against the first and the reassembled payload against the sum.
 *
 * chunk := version(1) from transfer seq count total crc data
 */
export interface Chunk {
  /** The sending node. */
  readonly from: string;
  /** Names one transfer; a new transfer from the same sender replaces an unfinished one. */
  readonly transfer: string;
  /** 0-based position of this chunk. */
  readonly seq: number;
  readonly count: number;
  /** Length of the whole payload. */
  readonly total: number;
  /** CRC-32C of the whole payload. */
  readonly crc: number;
  readonly data: Uint8Array;
}

/** Most bytes a chunk's encoding takes besides its data (varints count 8 bytes at most). */
export function chunkHeaderBytes(from: string, transfer: string): number {
  return 1 + 6 * 8 + Buffer.byteLength(from) + 8 + Buffer.byteLength(transfer);
}

/** Splits `payload` into chunks of at most `chunkBytes` data bytes each. */
export function splitIntoChunks(
  payload: Uint8Array,
  chunkBytes: number,
  from: string,
  transfer: string,
): Chunk[] {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
    throw new RangeError(`chunk size ${chunkBytes}: expected a positive integer of bytes`);
  }
  const count = Math.max(1, Math.ceil(payload.length / chunkBytes));
  const crc = crc32c(payload);
  const chunks: Chunk[] = [];
  for (let seq = 0; seq < count; seq++) {
    const data = payload.subarray(seq * chunkBytes, (seq + 1) * chunkBytes);
    chunks.push({ from, transfer, seq, count, total: payload.length, crc, data });
  }
  return chunks;
}

export function encodeChunk(chunk: Chunk): Uint8Array {
  return new ByteWriter(chunk.data.length + 64 + chunk.from.length + chunk.transfer.length)
    .byte(CODEC_VERSION)
    .string(chunk.from)
    .string(chunk.transfer)
    .uint(chunk.seq)
    .uint(chunk.count)
    .uint(chunk.total)
    .uint(chunk.crc)
    .bytes(chunk.data)
    .finish();
}

/** Decodes one chunk; its data shares memory with `bytes`. */
export function decodeChunk(bytes: Uint8Array): Chunk {
  const r = new ByteReader(bytes, "raft chunk");
  const version = r.byte("version");
  if (version !== CODEC_VERSION) {
    throw new DecodeError(
      "raft chunk",
      `format version ${version}: this build reads version ${CODEC_VERSION}`,
    );
  }
  const chunk: Chunk = {
    from: r.string("from"),
    transfer: r.string("transfer"),
    seq: r.uint("seq"),
    count: r.uint("count"),
    total: r.uint("total"),
    crc: r.uint("crc"),
    data: r.bytes("data"),
  };
  r.end();
  return chunk;
}

/** A chunk that does not continue the transfer in progress; the transfer is abandoned. */
export class ChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChunkError";
  }
}

interface Transfer {
  readonly first: Chunk;
  readonly buffer: Uint8Array;
  received: number;
  next: number;
  lastActivity: number;
}

/**
 * Reassembles chunked payloads, one transfer per sender at a time: memory is bounded by one
 * payload per sender, allocated once from the declared total. A first chunk (seq 0) starts a
 * transfer, replacing the sender's unfinished one; a chunk of no transfer in progress is
 * refused and changes nothing. A chunk out of sequence, one whose header disagrees with the
 * transfer's first chunk, a payload longer or shorter than declared, or a failed checksum
 * abandons the transfer (ChunkError); the sender starts over.
 */
export class ChunkAssembler {
  private readonly transfers = new Map<string, Transfer>();

  /**
   * @param maxTotalBytes  largest payload accepted (a transfer declaring more is refused
   *   before anything is allocated)
   */
  constructor(private readonly maxTotalBytes: number) {}

  /** Takes one chunk; returns the whole payload once its last chunk arrived and checked out. */
  accept(chunk: Chunk, now = Date.now()): Uint8Array | undefined {
    if (chunk.seq === 0) return this.begin(chunk, now);
    const transfer = this.transfers.get(chunk.from);
    if (!transfer || transfer.first.transfer !== chunk.transfer) {
      // A late chunk of an abandoned transfer leaves the current one alone.
      throw new ChunkError(
        `chunk ${chunk.seq} of transfer ${chunk.transfer} from ${chunk.from}: no such transfer in progress (its first chunk was not received)`,
      );
    }
    try {
      const { first } = transfer;
      if (chunk.count !== first.count || chunk.total !== first.total || chunk.crc !== first.crc) {
        throw new ChunkError(
          `chunk ${chunk.seq} of transfer ${chunk.transfer}: count ${chunk.count}, total ${chunk.total}, crc ${chunk.crc} differ from the first chunk's ${first.count}, ${first.total}, ${first.crc}`,
        );
      }
      if (chunk.seq !== transfer.next) {
        throw new ChunkError(
          `chunk ${chunk.seq} of transfer ${chunk.transfer}: expected chunk ${transfer.next}`,
        );
      }
      this.append(transfer, chunk);
      transfer.lastActivity = now;
      return this.finishIfLast(transfer, chunk);
    } catch (err) {
      this.transfers.delete(chunk.from);
      throw err;
    }
  }

  /** Drops transfers that received nothing since `before` (a sender that gave up). */
  dropIdle(before: number): void {
    for (const [from, transfer] of this.transfers) {
      if (transfer.lastActivity < before) this.transfers.delete(from);
    }
  }

  /** Transfers in progress (for tests and status). */
  get inProgress(): number {
    return this.transfers.size;
  }

  private begin(chunk: Chunk, now: number): Uint8Array | undefined {
    this.transfers.delete(chunk.from);
    if (chunk.count < 1 || chunk.total > this.maxTotalBytes) {
      throw new ChunkError(
        `transfer ${chunk.transfer} from ${chunk.from}: ${chunk.count} chunks of ${chunk.total} bytes in all; expected at least one chunk and at most ${this.maxTotalBytes} bytes`,
      );
    }
    const transfer: Transfer = {
      first: chunk,
      buffer: new Uint8Array(chunk.total),
      received: 0,
      next: 0,
      lastActivity: now,
    };
    this.append(transfer, chunk);
    this.transfers.set(chunk.from, transfer);
    try {
      return this.finishIfLast(transfer, chunk);
    } catch (err) {
      this.transfers.delete(chunk.from);
      throw err;
    }
  }

  private append(transfer: Transfer, chunk: Chunk): void {
    if (transfer.received + chunk.data.length > transfer.first.total) {
      throw new ChunkError(
        `chunk ${chunk.seq} of transfer ${chunk.transfer}: ${transfer.received + chunk.data.length} bytes received, more than the declared ${transfer.first.total}`,
      );
    }
    transfer.buffer.set(chunk.data, transfer.received);
    transfer.received += chunk.data.length;
    transfer.next = chunk.seq + 1;
  }

  private finishIfLast(transfer: Transfer, chunk: Chunk): Uint8Array | undefined {
    if (chunk.seq < transfer.first.count - 1) return undefined;
    this.transfers.delete(chunk.from);
    const { total, crc } = transfer.first;
    if (transfer.received !== total) {
      throw new ChunkError(
        `transfer ${chunk.transfer}: ${transfer.received} bytes received in ${transfer.first.count} chunks, expected ${total}`,
      );
    }
    const actual = crc32c(transfer.buffer);
    if (actual !== crc) {
      throw new ChunkError(
        `transfer ${chunk.transfer}: the reassembled payload's CRC-32C is ${actual}, expected ${crc}`,
      );
    }
    return transfer.buffer;
  }
}
