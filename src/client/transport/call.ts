import type { ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { FrameDecoder } from "../../wire/grpc-frames.js";
import { type Http2Connection, RST_CANCEL } from "./connection.js";
import {
  CallError,
  type CallStatus,
  Code,
  codeForHttpStatus,
  encodeTimeout,
  statusFromHeaders,
} from "./status.js";

const USER_AGENT = `lb-client node-http2/${process.versions.node}`;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallOptions {
  /** Absolute deadline. */
  deadline?: Date;
  /** Wait for the connection to come up instead of failing at once when it is down. */
  waitForReady?: boolean;
}

/** What a call does with what arrives. */
export interface CallHooks {
  /** One response message (a view of the received bytes); a throw fails the call. */
  onMessage(payload: Buffer): void;
  /** Called exactly once, when the call is over, after every message. */
  onStatus(status: CallStatus): void;
  /** The transport took what was written and can take more. */
  onDrain?(): void;
}

function asStatus(err: unknown, fallback: number): CallStatus {
  if (err instanceof CallError) return { code: err.code, details: err.details };
  return { code: fallback, details: err instanceof Error ? err.message : String(err) };
}

/**
 * One gRPC call on an HTTP/2 stream: request headers, writes of already framed bytes, incremental
 * decoding of the response and its status (from trailers, trailers-only headers, or the way the
 * stream ended), deadline and cancellation.
 */
export class Http2Call {
  private stream: ClientHttp2Stream | undefined;
  /** Writes made before the stream exists. */
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  private requestEnded = false;
  private paused = false;
  private done = false;
  private received: CallStatus | undefined;
  private httpCode: number | undefined;
  private streamError: Error | undefined;
  private readonly decoder = new FrameDecoder();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    private readonly connection: Http2Connection,
    private readonly path: string,
    private readonly hooks: CallHooks,
    private readonly options: CallOptions = {},
  ) {
    const deadline = options.deadline?.getTime();
    if (deadline !== undefined) this.armDeadline(deadline);
    const ready = connection.ready;
    if (ready) {
      this.open(ready);
    } else {
      connection.session(options.waitForReady ?? false, this.abort.signal).then(
        (session) => this.open(session),
        (err: unknown) => this.finish(asStatus(err, Code.UNAVAILABLE)),
      );
    }
  }

  get isDone(): boolean {
    return this.done;
  }

  /** Bytes written but not yet handed to the socket. */
  get writableLength(): number {
    return this.stream ? this.stream.writableLength : this.outgoingBytes;
  }

  /** Writes framed bytes; false when the stream's buffer is full ('drain' follows). */
  write(bytes: Buffer): boolean {
    if (this.done || this.requestEnded) return true;
    if (this.stream) return this.stream.write(bytes);
    this.outgoing.push(bytes);
    this.outgoingBytes += bytes.length;
    return true;
  }

  /** Half-closes the request side, after `last` when given. */
  end(last?: Buffer): void {
    if (this.done || this.requestEnded) return;
    this.requestEnded = true;
    if (this.stream) {
      // One write with END_STREAM: a unary request goes out as a single DATA frame.
      if (last) this.stream.end(last);
      else this.stream.end();
      return;
    }
    if (last) {
      this.outgoing.push(last);
      this.outgoingBytes += last.length;
    }
  }

  /** Stops reading (flow control then holds the sender back) until resume(). */
  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
  }

  /** Resets the stream with CANCEL; the call ends with CANCELLED. */
  cancel(): void {
    this.fail({ code: Code.CANCELLED, details: "Cancelled on client" });
  }

  /** Fails the call at `deadline`; one beyond a timer's range (about 24.8 days) re-arms. */
  private armDeadline(deadline: number): void {
    const remaining = deadline - Date.now();
    this.timer =
      remaining > MAX_TIMER_MS
        ? setTimeout(() => this.armDeadline(deadline), MAX_TIMER_MS)
        : setTimeout(
            () => this.fail({ code: Code.DEADLINE_EXCEEDED, details: "Deadline exceeded" }),
            Math.max(0, remaining),
          );
  }

  private open(session: Parameters<Http2Connection["request"]>[0]): void {
    if (this.done) return;
    const headers: OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": this.path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity",
      "user-agent": USER_AGENT,
    };
    const deadline = this.options.deadline?.getTime();
    if (deadline !== undefined) headers["grpc-timeout"] = encodeTimeout(deadline - Date.now());
    let stream: ClientHttp2Stream;
    try {
      stream = this.connection.request(session, headers);
    } catch (err) {
      // Never end a call from inside its constructor: its owner is not listening yet.
      process.nextTick(() => this.finish(asStatus(err, Code.UNAVAILABLE)));
      return;
    }
    this.stream = stream;
    stream.on("response", (received: IncomingHttpHeaders) => this.headers(received));
    stream.on("trailers", (trailers: IncomingHttpHeaders) => {
      this.received = statusFromHeaders(trailers) ?? {
        code: Code.UNKNOWN,
        details: "trailers without grpc-status",
      };
      // The call is over; ending our side lets the stream close if we had not yet.
      if (!this.requestEnded) {
        this.requestEnded = true;
        stream.end();
      }
    });
    stream.on("data", this.onData);
    stream.on("error", (err: Error) => {
      this.streamError = err;
    });
    stream.on("close", () => this.closed(stream));
    if (this.hooks.onDrain) stream.on("drain", this.hooks.onDrain);
    if (this.paused) stream.pause();
    const last = this.requestEnded ? this.outgoing.pop() : undefined;
    for (const bytes of this.outgoing) stream.write(bytes);
    this.outgoing = [];
    this.outgoingBytes = 0;
    if (last) stream.end(last);
    else if (this.requestEnded) stream.end();
  }

  private headers(headers: IncomingHttpHeaders): void {
    const httpStatus = Number(headers[":status"]);
    if (httpStatus !== 200) {
      this.httpCode = httpStatus;
    }
    // Trailers-only: the status comes in the only HEADERS frame.
    const status = statusFromHeaders(headers);
    if (status) this.received = status;
  }

  private receive(chunk: Buffer): void {
    if (this.done) return;
    try {
      for (const payload of this.decoder.push(chunk)) this.hooks.onMessage(payload);
    } catch (err) {
      this.fail(asStatus(err, Code.INTERNAL));
    }
  }

  private closed(stream: ClientHttp2Stream): void {
    if (this.done) return;
    if (this.received) {
      this.finish(
        this.received.code === Code.OK && !this.decoder.idle
          ? { code: Code.INTERNAL, details: "the call ended in the middle of a message" }
          : this.received,
      );
    } else if (this.httpCode !== undefined) {
      this.finish({
        code: codeForHttpStatus(this.httpCode),
        details: `Received HTTP status code ${this.httpCode}`,
      });
    } else {
      const why = this.streamError?.message ?? `stream reset with code ${stream.rstCode}`;
      this.finish({ code: Code.UNAVAILABLE, details: `the call ended without a status: ${why}` });
    }
  }

  /** Ends the call from this side with `status`, resetting the stream. */
  private fail(status: CallStatus): void {
    if (this.done) return;
    const stream = this.stream;
    if (stream && !stream.closed && !stream.destroyed) stream.close(RST_CANCEL);
    this.finish(status);
  }

  private finish(status: CallStatus): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.outgoing = [];
    this.hooks.onStatus(status);
  }
}
