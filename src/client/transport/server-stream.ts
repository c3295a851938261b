import { encodeFrame } from "../../wire/grpc-frames.js";
import { type CallOptions, Http2Call } from "./call.js";
import type { Http2Connection } from "./connection.js";
import { CallError, type CallStatus, Code } from "./status.js";

/** Reading pauses when this much is queued and resumes at half of it. */
const HIGH_WATER_MESSAGES = 16_384;
const HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** The consumed head of the queue is dropped once it is this long and half the array. */
const COMPACT_AT = 4096;

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(err: unknown): void;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

/**
 * A server-streaming call read with an async iterator. Messages are queued as the chunks arrive
 * (as views of them) and decoded when taken, so next() resolves from the queue without a promise
 * or event per message; only a consumer that catches up waits. Reading pauses while the queue is
 * large, which holds the server back through HTTP/2 flow control. The iterator throws the
 * call's error status once, then is done; after cancel() it is simply done.
 */
export class ServerStreamCall<Res> implements AsyncIterable<Res> {
  private readonly call: Http2Call;
  private queue: (Buffer | undefined)[] = [];
  private head = 0;
  private queuedBytes = 0;
  private paused = false;
  private status: CallStatus | undefined;
  private errorReported = false;
  private cancelled = false;
  private waiter: Waiter<Res> | undefined;

  constructor(
    connection: Http2Connection,
    path: string,
    request: Uint8Array,
    private readonly deserialize: (payload: Buffer) => Res,
    options: CallOptions = {},
  ) {
    this.call = new Http2Call(
      connection,
      path,
      { onMessage: (payload) => this.push(payload), onStatus: (status) => this.ended(status) },
      options,
    );
    this.call.end(encodeFrame(request));
  }

  /** Resets the stream; the iterator ends (without an error). */
  cancel(): void {
    this.cancelled = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.call.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<Res> {
    return {
      next: () => this.next(),
      return: () => {
        this.cancel();
        return Promise.resolve(DONE);
      },
    };
  }

  next(): Promise<IteratorResult<Res>> {
    if (this.head < this.queue.length) {
      try {
        return Promise.resolve({ done: false, value: this.deserialize(this.take()) });
      } catch (err) {
        return Promise.reject(this.parseFailure(err));
      }
    }
    if (this.status) return this.settled();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private push(payload: Buffer): void {
    if (this.cancelled) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      let value: Res;
      try {
        value = this.deserialize(payload);
      } catch (err) {
        waiter.reject(this.parseFailure(err));
        return;
      }
      waiter.resolve({ done: false, value });
      return;
    }
    this.queue.push(payload);
    this.queuedBytes += payload.length;
    if (
      !this.paused &&
      (this.queue.length - this.head >= HIGH_WATER_MESSAGES || this.queuedBytes >= HIGH_WATER_BYTES)
    ) {
      this.paused = true;
      this.call.pause();
    }
  }

  private take(): Buffer {
    const payload = this.queue[this.head]!;
    this.queue[this.head++] = undefined;
    this.queuedBytes -= payload.length;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (
      this.paused &&
      this.queue.length - this.head <= HIGH_WATER_MESSAGES / 2 &&
      this.queuedBytes <= HIGH_WATER_BYTES / 2
    ) {
      this.paused = false;
      this.call.resume();
    }
    return payload;
  }

  private ended(status: CallStatus): void {
    this.status = status;
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.settled().then(waiter.resolve, waiter.reject);
  }

  private settled(): Promise<IteratorResult<Res>> {
    const status = this.status!;
    if (status.code === Code.OK || this.cancelled || this.errorReported) {
      return Promise.resolve(DONE);
    }
    this.errorReported = true;
    return Promise.reject(new CallError(status));
  }

  /** A message that does not decode ends the call, as grpc-js does. */
  private parseFailure(err: unknown): CallError {
    const details = `Response message parsing error: ${(err as Error).message}`;
    this.call.cancel();
    this.errorReported = true;
    return new CallError({ code: Code.INTERNAL, details });
  }
}
