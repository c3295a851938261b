import { EventEmitter } from "node:events";
import { FrameBatch } from "../../wire/grpc-frames.js";
import { type CallOptions, Http2Call } from "./call.js";
import type { Http2Connection } from "./connection.js";
import { CallError, type CallStatus, Code } from "./status.js";

/** A batch this large is written at once instead of at the end of the event-loop turn. */
const FLUSH_BYTES = 64 * 1024;
/** write() returns false while this much is buffered, and 'drain' follows. */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * A bidirectional streaming call with grpc-js's event interface: write() serialises and frames
 * each request into a batch that goes out as one stream write per event-loop turn (or at 64 KiB);
 * 'data' gets each decoded response, 'error' a non-OK status, 'status' every end.
 */
export class BidiStreamCall<Req, Res> extends EventEmitter {
  private readonly call: Http2Call;
  private readonly batch = new FrameBatch();
  private flushScheduled = false;
  private needDrain = false;
  private readonly flushNow = () => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(
    connection: Http2Connection,
    path: string,
    private readonly serialize: (request: Req) => Uint8Array,
    deserialize: (payload: Buffer) => Res,
    options: CallOptions = {},
  ) {
    super();
    this.call = new Http2Call(
      connection,
      path,
      {
        onMessage: (payload) => this.emit("data", deserialize(payload)),
        onStatus: (status) => this.ended(status),
        onDrain: () => this.maybeDrain(),
      },
      options,
    );
  }

  /** Queues one request; false when the caller should wait for 'drain'. */
  write(request: Req): boolean {
    if (this.call.isDone) return true;
    this.batch.add(this.serialize(request));
    if (this.batch.bytes >= FLUSH_BYTES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
    if (this.buffered() < HIGH_WATER_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  /** Sends what is batched and half-closes the request side. */
  end(): void {
    this.flush();
    this.call.end();
  }

  /** Resets the stream with CANCEL; 'error' with CANCELLED follows. */
  cancel(): void {
    this.call.cancel();
  }

  private buffered(): number {
    return this.batch.bytes + this.call.writableLength;
  }

  /** Sends what is batched now rather than at the end of the event-loop turn. */
  flush(): void {
    if (this.batch.isEmpty) return;
    this.call.write(this.batch.take());
    this.maybeDrain();
  }

  private maybeDrain(): void {
    if (!this.needDrain || this.buffered() >= HIGH_WATER_BYTES) return;
    this.needDrain = false;
    this.emit("drain");
  }

  private ended(status: CallStatus): void {
    if (status.code !== Code.OK) this.emit("error", new CallError(status));
    this.emit("status", status);
  }
}
