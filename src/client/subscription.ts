import { setTimeout as delay } from "node:timers/promises";
import type { Message } from "../wire/api.js";
import type { BrokerStub, SubscribeCall } from "./broker-stub.js";
import { LbError, toLbError } from "./errors.js";
import type { SubscribeRequestInit } from "./requests.js";
import { backoffDelayMs, type RetryBudget } from "./retry.js";
import { Code } from "./transport/status.js";

/** A Subscribe call past its handshake. */
export interface OpenSubscribeCall {
  call: SubscribeCall;
  messages: AsyncIterator<Message>;
}

/**
 * Opens a subscription starting at `nextOffset` (or where the original request said when
 * undefined). Resolves to null when the server ends it at once: nothing to read before the stop
 * position, or the end of a read-only partition.
 */
export type SubscribeOpener = (nextOffset: number | undefined) => Promise<OpenSubscribeCall | null>;

const RESUBSCRIBE_BACKOFF: RetryBudget = { retries: 0, initialDelayMs: 250, maxDelayMs: 2000 };

/**
 * Liftbridge ends a subscription with RESOURCE_EXHAUSTED when it reaches the stop position or the
 * end of a read-only partition: the normal end of the stream, not a failure.
 */
function isEndOfPartition(err: unknown): boolean {
  return (err as { code?: unknown })?.code === Code.RESOURCE_EXHAUSTED;
}

/**
 * Starts a Subscribe call and consumes the server's handshake (one empty Message saying the
 * subscription exists), so that errors such as NotFound surface here rather than mid-iteration.
 */
export async function openSubscribeCall(
  stub: BrokerStub,
  request: SubscribeRequestInit,
  context: string,
): Promise<OpenSubscribeCall | null> {
  const call = stub.subscribe(request);
  const messages = call[Symbol.asyncIterator]();
  try {
    const handshake = await messages.next();
    return handshake.done ? null : { call, messages };
  } catch (err) {
    call.cancel();
    if (isEndOfPartition(err)) return null;
    throw toLbError(err, context);
  }
}

/**
 * Messages of one stream partition, in offset order, for `for await`. Iteration ends normally at
 * the stop position, at the end of a read-only partition, or after cancel(); any other failure
 * is thrown from the loop as an LbError. When the broker goes away, the subscription is opened
 * again after the last delivered offset for up to `resubscribeWaitMs`.
 */
export class Subscription implements AsyncIterable<Message> {
  private current: OpenSubscribeCall | null;
  private cancelled = false;
  private iterated = false;
  private lastOffset: number | undefined;

  constructor(
    readonly stream: string,
    readonly partition: number,
    first: OpenSubscribeCall | null,
    private readonly reopen: SubscribeOpener,
    private readonly resubscribeWaitMs: number,
    private readonly onEnd: (subscription: Subscription) => void = () => {},
  ) {
    this.current = first;
    if (!first) this.onEnd(this);
  }

  /** Stops the subscription; a pending or later iteration step ends normally. Idempotent. */
  cancel(): void {
    this.cancelled = true;
    this.current?.call.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    if (this.iterated) {
      throw new LbError("invalid_argument", "a subscription can be iterated only once");
    }
    this.iterated = true;
    return this.deliver();
  }

  private describe(): string {
    return `subscription to stream "${this.stream}" partition ${this.partition}`;
  }

  private async *deliver(): AsyncGenerator<Message, void, undefined> {
    try {
      while (this.current && !this.cancelled) {
        let step: IteratorResult<Message>;
        try {
          step = await this.current.messages.next();
        } catch (err) {
          if (this.cancelled || isEndOfPartition(err)) return;
          const failure = toLbError(err, this.describe());
          if (failure.kind !== "unavailable" || this.resubscribeWaitMs <= 0) throw failure;
          this.current = await this.resubscribe(failure);
          continue;
        }
        if (step.done || this.cancelled) return;
        this.lastOffset = step.value.offset;
        yield step.value;
      }
    } finally {
      this.cancel();
      this.onEnd(this);
    }
  }

  private async resubscribe(cause: LbError): Promise<OpenSubscribeCall | null> {
    const giveUpAt = Date.now() + this.resubscribeWaitMs;
    const nextOffset = this.lastOffset === undefined ? undefined : this.lastOffset + 1;
    let lastError = cause;
    for (let attempt = 0; !this.cancelled; attempt++) {
      try {
        const reopened = await this.reopen(nextOffset);
        if (this.cancelled) reopened?.call.cancel();
        return reopened;
      } catch (err) {
        lastError = toLbError(err, this.describe());
        if (!lastError.retriable && !lastError.staleMetadata) throw lastError;
      }
      const wait = backoffDelayMs(attempt, RESUBSCRIBE_BACKOFF);
      if (Date.now() + wait > giveUpAt) throw lastError;
      await delay(wait);
    }
    return null;
  }
}
