import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import type { Ack, PublishResponse } from "../wire/api.js";
import { AckPolicy } from "../wire/api.js";
import type { BrokerStub, PublishAsyncCall } from "./broker-stub.js";
import { ackErrorToLbError, asyncErrorToLbError, LbError, toLbError } from "./errors.js";
import {
  ackPolicyToWire,
  buildPublishRequest,
  type PublishRequestInit,
  requirePositiveTimeout,
} from "./requests.js";
import { backoffDelayMs, type RetryBudget } from "./retry.js";
import { ackPartition } from "./subjects.js";
import { type CallStatus, Code } from "./transport/status.js";
import type { Bytes, PublishOptions } from "./types.js";

export const DEFAULT_ACK_TIMEOUT_MS = 5000;
/** How long close() lets the broker take to end a PublishAsync call after the last ack. */
const END_OF_CALL_GRACE_MS = 5000;

export interface PublishRoute {
  partition: number;
  /** Broker to send to: the partition leader when known. */
  address: string;
}

/** What the publisher needs from the client that owns it. */
export interface PublisherHost {
  route(stream: string, options: PublishOptions): Promise<PublishRoute>;
  stub(address: string): BrokerStub;
  /** A broker went away: metadata should be refreshed before the next route. */
  brokerFailed(address: string): void;
  /** Refreshes the metadata of a stream before a publish is retried; never rejects. */
  refresh(stream: string): Promise<void>;
  /** The publisher was closed or cancelled. */
  closed(publisher: AsyncPublisher): void;
}

const correlationPrefix = randomBytes(6).toString("hex");
let correlationCounter = 0;

/** Unique per process and cheap: a random prefix and a counter. */
export function nextCorrelationId(): string {
  correlationCounter = (correlationCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${correlationPrefix}-${correlationCounter}`;
}

interface PendingAck {
  /** Where the message was published: an ack from elsewhere is another stream's. */
  stream: string;
  partition: number;
  resolve(ack: Ack): void;
  reject(err: LbError): void;
  timer: NodeJS.Timeout;
}

/** One PublishAsync call to one broker, matching responses to requests by correlation id. */
class PublishSession {
  private readonly call: PublishAsyncCall;
  private readonly pending = new Map<string, PendingAck>();
  private failure: LbError | undefined;
  private ending = false;
  /** Requests sent with ack policy "none": the broker may still be publishing them. */
  private unackedWrites = 0;
  /** Acks given up on: the broker still waits for them, and for nothing if the send was lost. */
  private abandonedAcks = 0;
  private readonly finished: Promise<void>;
  private markFinished!: () => void;

  constructor(
    readonly address: string,
    stub: BrokerStub,
    private readonly onFailure: (session: PublishSession, err: LbError) => void,
  ) {
    this.finished = new Promise((resolve) => {
      this.markFinished = resolve;
    });
    this.call = stub.publishAsync();
    this.call.on("data", (response: PublishResponse) => this.receive(response));
    this.call.on("error", (err: Error) => this.finish(toLbError(err, `publish via ${address}`)));
    this.call.on("status", (end: CallStatus) => {
      if (end.code !== Code.OK) return; // reported through "error"
      this.finish(
        this.ending
          ? new LbError("failed_precondition", "the publisher is closed")
          : new LbError("unavailable", `${address} ended the publish stream`),
      );
    });
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** Resolves once the request is handed to the transport (respecting its back-pressure). */
  async write(request: PublishRequestInit): Promise<void> {
    if (this.failure) throw this.failure;
    const accepted = this.call.write(request);
    if (request.ackPolicy === AckPolicy.NONE) this.unackedWrites++;
    // The only ack awaited (a synchronous publisher): nothing would join the batch, so it goes
    // now rather than at the end of the event-loop turn. Pipelined requests stay batched.
    if (this.pending.size === 1 && request.ackPolicy !== AckPolicy.NONE) this.call.flush?.();
    if (!accepted) {
      await Promise.race([once(this.call, "drain"), this.finished]);
      if (this.failure) throw this.failure;
    }
  }

  expectAck(
    correlationId: string,
    target: { stream: string; partition: number },
    waitMs: number,
    context: string,
    timeoutMs = waitMs,
  ): Promise<Ack> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        this.abandonedAcks++;
        reject(
          new LbError("deadline_exceeded", `${context}: no ack within ${timeoutMs}ms`, {
            retriable: true,
          }),
        );
      }, waitMs);
      this.pending.set(correlationId, { ...target, resolve, reject, timer });
    });
  }

  forget(correlationId: string): void {
    const pending = this.pending.get(correlationId);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(correlationId);
  }

  /** Half-closes the call and waits for the broker to end it (it acks what is in flight first). */
  async end(): Promise<void> {
    if (this.failure) return;
    this.ending = true;
    this.call.end();
    // Every request was acked but some were sent again: the broker would wait out its drain
    // timeout for the acks of sends that NATS dropped. It owes us nothing, so the call goes now.
    const owesNothing = this.pending.size === 0 && this.unackedWrites === 0;
    const graceMs = owesNothing && this.abandonedAcks > 0 ? 0 : END_OF_CALL_GRACE_MS;
    const grace = setTimeout(() => this.call.cancel(), graceMs);
    await this.finished;
    clearTimeout(grace);
  }

  cancel(): void {
    this.call.cancel();
  }

  private receive(response: PublishResponse): void {
    const correlationId = response.correlationId || response.ack?.correlationId || "";
    const pending = this.pending.get(correlationId);
    if (!pending) return; // timed out already, or not ours to wait for
    // A stream whose subject overlaps ours (a wildcard) stored the message too and acked it on
    // the same inbox with the same correlation id: that ack is not the one we wait for.
    if (response.ack?.stream && !isAckFor(response.ack, pending)) return;
    this.forget(correlationId);
    const context = `publish ${correlationId}`;
    if (response.asyncError) {
      pending.reject(asyncErrorToLbError(response.asyncError, context));
    } else if (!response.ack) {
      pending.reject(new LbError("internal", `${context}: response without ack or error`));
    } else {
      const ackFailure = ackErrorToLbError(response.ack.ackError, context);
      if (ackFailure) pending.reject(ackFailure);
      else pending.resolve(response.ack);
    }
  }

  private finish(err: LbError): void {
    if (this.failure) return;
    this.failure = err;
    for (const [correlationId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(err);
      this.pending.delete(correlationId);
    }
    if (!this.ending) this.onFailure(this, err);
    this.markFinished();
  }
}

function isAckFor(ack: Ack, target: { stream: string; partition: number }): boolean {
  return ack.stream === target.stream && ackPartition(ack) === target.partition;
}

/** Backoff between attempts of one publish; the publish's timeout bounds the total. */
const PUBLISH_RETRY_BUDGET: RetryBudget = {
  retries: Number.MAX_SAFE_INTEGER,
  initialDelayMs: 50,
  maxDelayMs: 500,
};

/**
 * How long one attempt waits for its ack before the message is sent again: a broker publishes
 * to NATS whoever leads the partition, so a message sent while no leader listens (the old one
 * died, the new one has not started) is dropped without an answer. Doubles with each attempt
 * that went unanswered, so that a slow but healthy cluster is not flooded with copies.
 */
const ATTEMPT_ACK_WAIT_MS = 2000;

function attemptAckWaitMs(unansweredAttempts: number): number {
  return ATTEMPT_ACK_WAIT_MS * 2 ** Math.min(unansweredAttempts, 20);
}

/**
 * Failures that a changing cluster explains: the connection failed or the broker ended it,
 * the broker is not the leader, or does not know the stream or partition yet, or no ack came
 * within the attempt's wait (the message may be stored, and may then be stored twice).
 */
function isRetriablePublishFailure(err: LbError): boolean {
  if (err.kind === "deadline_exceeded") return true;
  if (err.kind === "unavailable") return true;
  return err.grpcCode !== undefined && err.staleMetadata;
}

/**
 * Pipelined publishing over PublishAsync: publish() sends at once and resolves with the ack (or
 * undefined for ack policy "none") without waiting for earlier messages' acks. Messages are
 * written in the order publish() was called. One call per broker, opened on first use.
 */
export class AsyncPublisher {
  private readonly sessions = new Map<string, PublishSession>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private writeChain: Promise<void> = Promise.resolve();
  private closed = false;
  private cancelled = false;

  constructor(
    private readonly host: PublisherHost,
    private readonly defaultTimeoutMs = DEFAULT_ACK_TIMEOUT_MS,
  ) {}

  publish(stream: string, value: Bytes, options: PublishOptions = {}): Promise<Ack | undefined> {
    if (this.closed) {
      return Promise.reject(new LbError("failed_precondition", "the publisher is closed"));
    }
    let timeoutMs: number;
    let waitsForAck: boolean;
    try {
      timeoutMs = requirePositiveTimeout("timeoutMs", options.timeoutMs ?? this.defaultTimeoutMs);
      waitsForAck = ackPolicyToWire(options.ackPolicy) !== AckPolicy.NONE;
    } catch (err) {
      return Promise.reject(err);
    }
    const correlationId = options.correlationId || nextCorrelationId();
    const result = this.sendUntil(stream, value, options, correlationId, waitsForAck, {
      timeoutMs,
      deadline: Date.now() + timeoutMs,
    });
    this.track(result);
    return result;
  }

  /**
   * Sends, and sends again while the failure says the cluster is changing (a broker gone, not
   * the leader any more, a stream not yet known there), until the publish's own timeout runs
   * out: a leader failover costs a few retries, not the message.
   */
  private async sendUntil(
    stream: string,
    value: Bytes,
    options: PublishOptions,
    correlationId: string,
    waitsForAck: boolean,
    limit: { timeoutMs: number; deadline: number },
  ): Promise<Ack | undefined> {
    let unanswered = 0;
    for (let attempt = 0; ; attempt++) {
      const remainingMs = Math.max(1, limit.deadline - Date.now());
      try {
        // The first attempt is written in publish() order (nothing is awaited before this).
        const { ack } = await this.sendOnce(stream, value, options, correlationId, waitsForAck, {
          ackWaitMs: Math.min(remainingMs, attemptAckWaitMs(unanswered)),
          timeoutMs: limit.timeoutMs,
        });
        return await ack;
      } catch (err) {
        const failure = toLbError(err);
        if (failure.kind === "deadline_exceeded") unanswered++;
        // An unanswered attempt has waited already: the message goes again at once.
        const pauseMs =
          failure.kind === "deadline_exceeded" ? 0 : backoffDelayMs(attempt, PUBLISH_RETRY_BUDGET);
        if (this.cancelled) throw failure;
        if (!isRetriablePublishFailure(failure) || Date.now() + pauseMs >= limit.deadline) {
          throw attempt === 0
            ? failure
            : failure.with({
                message: `${failure.message} (gave up after ${attempt + 1} attempts in ${limit.timeoutMs}ms)`,
              });
        }
        await delay(pauseMs);
        await this.host.refresh(stream);
      }
    }
  }

  /** One attempt: routes, writes (in order with other publishes) and returns the ack to await. */
  private sendOnce(
    stream: string,
    value: Bytes,
    options: PublishOptions,
    correlationId: string,
    waitsForAck: boolean,
    wait: { ackWaitMs: number; timeoutMs: number },
  ): Promise<{ ack: Promise<Ack> | undefined }> {
    const sent = this.writeChain.then(async () => {
      const route = await this.host.route(stream, options);
      const request = buildPublishRequest(stream, route.partition, value, options, correlationId);
      const session = this.session(route.address);
      const context = `publish to stream "${stream}" partition ${route.partition}`;
      const target = { stream, partition: route.partition };
      // Register before writing: the ack may arrive before write() resolves.
      const ack = waitsForAck
        ? session.expectAck(correlationId, target, wait.ackWaitMs, context, wait.timeoutMs)
        : undefined;
      ack?.catch(() => {}); // observed by the caller; this keeps an early failure from going unhandled
      try {
        await session.write(request);
      } catch (err) {
        session.forget(correlationId);
        throw err;
      }
      return { ack };
    });
    this.writeChain = sent.then(
      () => {},
      () => {},
    );
    return sent;
  }

  /** Waits for every in-flight ack, then ends the calls. Later publish() calls are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writeChain;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.sessions.values()].map((session) => session.end()));
    this.sessions.clear();
    this.host.closed(this);
  }

  /** Drops everything in flight at once (their promises reject). */
  cancel(): void {
    this.closed = true;
    this.cancelled = true;
    for (const session of this.sessions.values()) session.cancel();
    this.sessions.clear();
    this.host.closed(this);
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    const untrack = () => this.inFlight.delete(promise);
    promise.then(untrack, untrack);
  }

  private session(address: string): PublishSession {
    const existing = this.sessions.get(address);
    if (existing?.isOpen) return existing;
    const session = new PublishSession(address, this.host.stub(address), (failed, err) => {
      if (this.sessions.get(address) === failed) this.sessions.delete(address);
      if (err.kind === "unavailable") this.host.brokerFailed(address);
    });
    this.sessions.set(address, session);
    return session;
  }
}
