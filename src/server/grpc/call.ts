import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Metadata, status } from "@grpc/grpc-js";
import {
  FRAME_HEADER_BYTES,
  type FrameDecoder,
  FrameError,
  frameHeader,
} from "../../wire/grpc-frames.js";
import type { CallError } from "./calls.js";
import { percentEncode, RESPONSE_HEADERS, TRAILERS_ONLY_HEADERS } from "./protocol.js";

/** Pending response bytes that are written at once instead of waiting for the turn's end. */
const FLUSH_BYTES = 64 * 1024;
/** Unsent bytes on the HTTP/2 stream above which write() asks the handler to wait for 'drain'. */
const HIGH_WATER_BYTES = 1024 * 1024;

const NO_DEADLINE = Number.POSITIVE_INFINITY;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One gRPC call on an HTTP/2 stream, with the surface of grpc-js's server call objects that lb's
 * handlers use. Responses written in one synchronous run (a batch of acks, a batch of records)
 * go out as one stream write, in a microtask (sooner when FLUSH_BYTES are pending): node:http2
 * itself sends at the end of the turn, so waiting for a setImmediate would add a whole turn. The
 * status goes in trailers, or alone when nothing was sent.
 */
export class Http2Call extends EventEmitter {
  request: unknown;
  cancelled = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private headersSent = false;
  private finished = false;
  private needDrain = false;
  private trailers: OutgoingHttpHeaders = {};
  private deadlineTimer: NodeJS.Timeout | undefined;
  private requestMetadata: Metadata | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly serialize: (message: unknown) => Uint8Array,
    private readonly maxSendBytes: number,
    private readonly deadline: number = NO_DEADLINE,
  ) {
    super();
    // grpc-js's contract: a handler reports a failure by emitting 'error' on the call.
    this.on("error", (err: CallError) => this.sendError(err));
    stream.on("close", () => this.onClose());
    stream.on("drain", () => {
      if (!this.needDrain) return;
      this.needDrain = false;
      this.emit("drain");
    });
    if (deadline !== NO_DEADLINE) this.armDeadline();
  }

  get metadata(): Metadata {
    this.requestMetadata ??= requestMetadata(this.headers);
    return this.requestMetadata;
  }

  getDeadline(): number {
    return this.deadline;
  }

  getPath(): string {
    return String(this.headers[":path"]);
  }

  /** Queues a response message; false asks the caller to wait for 'drain'. */
  write(message: unknown): boolean {
    if (!this.enqueue(message)) return true;
    return this.queued();
  }

  /**
   * Queues response messages already framed: `frames` holds whole length-prefixed messages,
   * the largest `largestMessage` bytes long. They are sent as they are, with write()'s
   * coalescing and back-pressure; false asks the caller to wait for 'drain'.
   */
  writeFrames(frames: Buffer, largestMessage: number): boolean {
    if (this.finished) return true;
    if (largestMessage > this.maxSendBytes) {
      this.refuseFrames(frames);
      return true;
    }
    this.pending.push(frames);
    this.pendingBytes += frames.length;
    return this.queued();
  }

  /** Schedules the pending bytes' write; false when the stream holds too much unsent. */
  private queued(): boolean {
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushLater);
    }
    if (this.stream.writableLength + this.pendingBytes > HIGH_WATER_BYTES) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Ends the call with OK once the messages written so far are sent. */
  end(): void {
    this.sendStatus(status.OK, "OK");
  }

  /** The unary callback: the response and OK, or the error's status. */
  respond(err: CallError | null, response?: unknown): void {
    if (err) {
      this.sendError(err);
      return;
    }
    if (this.enqueue(response)) this.sendStatus(status.OK, "OK");
  }

  sendError(err: CallError): void {
    const known = typeof err.code === "number" && Number.isInteger(err.code);
    const details =
      known && typeof err.details === "string"
        ? err.details
        : typeof err.message === "string"
          ? err.message
          : "Unknown Error";
    this.sendStatus(known ? err.code : status.UNKNOWN, details, err.metadata?.toHttp2Headers());
  }

  /** Sends the status (after pending messages); later writes and statuses are ignored. */
  sendStatus(code: number, details: string, extra?: object): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadlineTimer);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const statusHeaders: OutgoingHttpHeaders = {
      ...(extra as OutgoingHttpHeaders | undefined),
      "grpc-status": code,
      "grpc-message": percentEncode(details),
    };
    try {
      if (!this.headersSent && this.pending.length === 0) {
        this.headersSent = true;
        stream.respond({ ...TRAILERS_ONLY_HEADERS, ...statusHeaders }, { endStream: true });
        return;
      }
      this.trailers = statusHeaders;
      this.flush();
      stream.end();
    } catch {
      stream.destroy();
    }
  }

  /**
   * Reads the request body: each message is decoded and handed to `onMessage`, then `onEnd`
   * runs when the client half-closes. A bad frame or message ends the call with its status.
   */
  receive(
    decoder: FrameDecoder,
    deserialize: (bytes: Buffer) => unknown,
    onMessage: (message: unknown) => void,
    onEnd: () => void,
  ): void {
    this.stream.on("data", (chunk: Buffer) => {
      if (this.finished) return;
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        const exhausted = err instanceof FrameError && err.kind !== "compressed";
        this.sendStatus(
          exhausted ? status.RESOURCE_EXHAUSTED : status.INTERNAL,
          (err as Error).message,
        );
        decoder.dispose();
        return;
      }
      for (const frame of frames) {
        if (this.finished) return;
        let message: unknown;
        try {
          message = deserialize(frame);
        } catch {
          this.sendStatus(status.INTERNAL, "Error deserializing request");
          return;
        }
        onMessage(message);
      }
    });
    // A partly received message gives its bytes back to the connection's budget.
    this.stream.once("close", () => decoder.dispose());
    this.stream.on("end", () => {
      if (this.finished) return;
      if (!decoder.idle) {
        this.sendStatus(status.INTERNAL, "Request body ended inside a message");
        return;
      }
      onEnd();
    });
  }

  /** Serialises and queues one message; false when the call is over or the message refused. */
  private enqueue(message: unknown): boolean {
    if (this.finished) return false;
    let bytes: Uint8Array;
    try {
      bytes = this.serialize(message);
    } catch {
      this.sendStatus(status.INTERNAL, "Error serializing response");
      return false;
    }
    if (bytes.byteLength > this.maxSendBytes) {
      this.refuseTooLarge(bytes.byteLength);
      return false;
    }
    this.pending.push(frameHeader(bytes.byteLength), asBuffer(bytes));
    this.pendingBytes += FRAME_HEADER_BYTES + bytes.byteLength;
    return true;
  }

  /**
   * Sends the messages of `frames` before the first one over the size limit, then ends the
   * call with RESOURCE_EXHAUSTED, as write() does for one message.
   */
  private refuseFrames(frames: Buffer): void {
    let pos = 0;
    let length = 0;
    while (pos < frames.length) {
      length = frames.readUInt32BE(pos + 1);
      if (length > this.maxSendBytes) break;
      pos += FRAME_HEADER_BYTES + length;
    }
    if (pos > 0) {
      this.pending.push(frames.subarray(0, pos));
      this.pendingBytes += pos;
    }
    this.refuseTooLarge(length);
  }

  private refuseTooLarge(length: number): void {
    this.sendStatus(
      status.RESOURCE_EXHAUSTED,
      `Sent message larger than max (${length} vs ${this.maxSendBytes})`,
    );
    // The call is over for its handler too, which may still be producing messages.
    this.notifyCancelled();
  }

  private readonly flushLater = () => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.pending.length === 0) return;
    const stream = this.stream;
    const data =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (stream.destroyed || stream.closed) return;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.once("wantTrailers", () => {
        try {
          stream.sendTrailers(this.trailers);
        } catch {
          stream.destroy();
        }
      });
    }
    stream.write(data);
  }

  /** Expires the call at its deadline; one further away than a timer can wait re-arms. */
  private armDeadline(): void {
    const remaining = this.deadline - Date.now();
    if (remaining > MAX_TIMER_MS) {
      this.deadlineTimer = setTimeout(() => this.armDeadline(), MAX_TIMER_MS);
      return;
    }
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(remaining)));
  }

  private expire(): void {
    this.sendStatus(status.DEADLINE_EXCEEDED, "Deadline exceeded");
    this.notifyCancelled();
  }

  private onClose(): void {
    clearTimeout(this.deadlineTimer);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.finished) return;
    this.finished = true;
    this.notifyCancelled();
  }

  private notifyCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit("cancelled");
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The request headers a handler may read, without the transport's own (as grpc-js does). */
function requestMetadata(headers: IncomingHttpHeaders): Metadata {
  const metadata = Metadata.fromHttp2Headers(headers);
  for (const key of [
    "grpc-timeout",
    "grpc-encoding",
    "grpc-accept-encoding",
    "accept-encoding",
    "te",
    "content-type",
  ]) {
    metadata.remove(key);
  }
  return metadata;
}
