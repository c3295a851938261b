import { constants as bufferConstants } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { Msg, NatsConnection, Subscription } from "nats";
import type { Logger } from "../logger.js";
import {
  ChunkAssembler,
  chunkHeaderBytes,
  decodeChunk,
  decodeMessage,
  ENTRY_OVERHEAD_BYTES,
  encodeChunk,
  encodeMessage,
  type Message,
  type NodeId,
  splitIntoChunks,
} from "../raft/index.js";
import { clusterSubjects } from "./subjects.js";

/**
 * Bytes of every NATS message kept for what wraps a Raft entry: the append message's own
 * fields (term, sender and receiver IDs, indexes) or a forwarded proposal's JSON wrapper.
 */
export const FRAMING_HEADROOM_BYTES = 1024;
/** nats-server's default, for a connection that has not received the server's INFO yet. */
const DEFAULT_MAX_PAYLOAD = 1 << 20;
const CHUNK_TIMEOUT_MS = 5000;
/** An unfinished incoming transfer silent this long is dropped (its sender gave up). */
const IDLE_TRANSFER_MS = 30_000;

/** What one NATS message can carry on this connection, and the Raft budgets derived from it. */
export interface TransportLimits {
  /** The NATS server's max_payload. */
  readonly maxPayload: number;
  /** Entry bytes, as Raft counts them (entrySize), of one append message. */
  readonly maxMessageBytes: number;
  /** The largest entry data (an encoded metadata command) one append message carries. */
  readonly maxEntryBytes: number;
}

export function transportLimits(nc: NatsConnection): TransportLimits {
  const maxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  const maxMessageBytes = Math.max(1, maxPayload - FRAMING_HEADROOM_BYTES);
  return {
    maxPayload,
    maxMessageBytes,
    maxEntryBytes: Math.max(1, maxMessageBytes - ENTRY_OVERHEAD_BYTES),
  };
}

export interface RaftTransportHandlers {
  /** A message addressed to this broker arrived (whole or reassembled). */
  deliver(message: Message): void;
  /** A message could not be handed to NATS or its chunks were not all accepted. */
  unreachable(to: NodeId): void;
  /** A chunked snapshot was accepted by `to` (delivered) or the transfer failed. */
  snapshotSent(to: NodeId, delivered: boolean): void;
}

type ChunkReply = { ok: true } | { ok: false; error: string };

/**
 * Carries Raft messages over NATS. A message that fits in one NATS message is published to
 * the receiver's subject; a larger one (a snapshot, or an append carrying a single entry too
 * large for one message, which only an older version could have written) is sent as a
 * sequence of chunks, each a request the receiver acknowledges once it checked it, one
 * transfer per receiver at a time. A refused or unanswered chunk abandons the transfer and
 * Raft sends again later.
 */
export class RaftTransport {
  private readonly subjects;
  private readonly subscriptions: Subscription[] = [];
  private readonly transfersTo = new Set<NodeId>();
  private readonly assembler = new ChunkAssembler(bufferConstants.MAX_LENGTH);
  private readonly warnedOversized = new Set<number>();
  private sweeper?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    namespace: string,
    private readonly serverId: NodeId,
    private readonly logger: Logger,
    private readonly handlers: RaftTransportHandlers,
  ) {
    this.subjects = clusterSubjects(namespace);
  }

  get limits(): TransportLimits {
    return transportLimits(this.nc);
  }

  start(): void {
    this.subscriptions.push(
      this.nc.subscribe(this.subjects.raft(this.serverId), {
        callback: (err, msg) => {
          if (!err && !this.closed) this.receive(msg.data);
        },
      }),
      this.nc.subscribe(this.subjects.chunk(this.serverId), {
        callback: (err, msg) => {
          if (!err && !this.closed) this.receiveChunk(msg);
        },
      }),
    );
    this.sweeper = setInterval(
      () => this.assembler.dropIdle(Date.now() - IDLE_TRANSFER_MS),
      IDLE_TRANSFER_MS / 2,
    );
    this.sweeper.unref();
  }

  send(messages: readonly Message[]): void {
    const { maxPayload } = this.limits;
    for (const message of messages) {
      const bytes = encodeMessage(message);
      if (bytes.length > maxPayload) {
        this.sendChunked(message, bytes, maxPayload);
        continue;
      }
      try {
        this.nc.publish(this.subjects.raft(message.to), bytes);
      } catch {
        this.handlers.unreachable(message.to);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const sub of this.subscriptions) sub.unsubscribe();
  }

  private receive(bytes: Uint8Array): void {
    let message: Message;
    try {
      message = decodeMessage(bytes);
    } catch (e) {
      this.logger.warn("dropped an undecodable Raft message", { error: e });
      return;
    }
    this.handlers.deliver(message);
  }

  private receiveChunk(msg: Msg): void {
    let reply: ChunkReply;
    try {
      const payload = this.assembler.accept(decodeChunk(msg.data));
      if (payload) this.handlers.deliver(decodeMessage(payload));
      reply = { ok: true };
    } catch (err) {
      this.logger.warn("refused a chunk of a large Raft message; the sender will start over", {
        error: err,
      });
      reply = { ok: false, error: (err as Error).message };
    }
    if (msg.reply) msg.respond(Buffer.from(JSON.stringify(reply)));
  }

  private sendChunked(message: Message, bytes: Uint8Array, maxPayload: number): void {
    const { to } = message;
    // One transfer per receiver: Raft sends again whatever the receiver still lacks after it.
    if (this.transfersTo.has(to)) return;
    if (message.type === "append") this.warnOversizedEntries(message, maxPayload);
    const transfer = `${message.type}-${message.term}-${randomBytes(6).toString("hex")}`;
    const chunkBytes = maxPayload - chunkHeaderBytes(this.serverId, transfer);
    if (chunkBytes <= 0) {
      this.logger.error("NATS max_payload is too small to carry Raft messages in chunks", {
        maxPayload,
      });
      this.handlers.unreachable(to);
      return;
    }
    const chunks = splitIntoChunks(bytes, chunkBytes, this.serverId, transfer);
    this.transfersTo.add(to);
    void (async () => {
      let delivered = false;
      try {
        for (const chunk of chunks) {
          if (this.closed) throw new Error("the broker is shutting down");
          const answer = await this.nc.request(this.subjects.chunk(to), encodeChunk(chunk), {
            timeout: CHUNK_TIMEOUT_MS,
          });
          const reply = JSON.parse(Buffer.from(answer.data).toString("utf8")) as ChunkReply;
          if (!reply.ok) throw new Error(`${to} refused chunk ${chunk.seq}: ${reply.error}`);
        }
        delivered = true;
        const level = message.type === "snapshot" ? "info" : "debug";
        this.logger[level]("sent a Raft message in chunks", {
          to,
          type: message.type,
          bytes: bytes.length,
          chunks: chunks.length,
        });
      } catch (err) {
        this.logger.info("a Raft message sent in chunks did not arrive whole; Raft will resend", {
          to,
          type: message.type,
          bytes: bytes.length,
          error: (err as Error).message,
        });
      } finally {
        this.transfersTo.delete(to);
      }
      if (this.closed) return;
      if (message.type === "snapshot") this.handlers.snapshotSent(to, delivered);
      else if (!delivered) this.handlers.unreachable(to);
    })();
  }

  /**
   * MsgApp batches fit one NATS message and proposals larger than one are refused, so only an
   * entry written before that rule (an older version, or a NATS server with a larger
   * max_payload) gets here. It still reaches the followers, in chunks; say so once.
   */
  private warnOversizedEntries(message: Message & { type: "append" }, maxPayload: number): void {
    const { maxEntryBytes } = this.limits;
    for (const entry of message.entries) {
      if (entry.data.length <= maxEntryBytes || this.warnedOversized.has(entry.index)) continue;
      this.warnedOversized.add(entry.index);
      this.logger.warn(
        "the metadata log holds an entry larger than one NATS message (written by an older version or under a larger max_payload); replicating it in chunks",
        { index: entry.index, bytes: entry.data.length, maxPayload },
      );
    }
  }
}
