import { status } from "@grpc/grpc-js";
import {
  type Ack,
  AckError,
  AckPolicy,
  encodeMessage,
  PublishAsyncErrorCode,
  type PublishRequest,
  type PublishResponse,
  type PublishToSubjectRequest,
  type PublishToSubjectResponse,
} from "../../wire/api.js";
import { encodeEnvelope, MsgType } from "../../wire/envelope.js";
import { ackReason } from "../partition/ack-reason.js";
import type { PublishedFields } from "../partition/ingest.js";
import { partitionSubject } from "../partition/subjects.js";
import type { ApiContext } from "./context.js";
import { resumeIfPaused } from "./lifecycle.js";
import { publishThisTurn } from "./publish-turn.js";
import { ApiError, deadlineExceeded, resourceExhausted } from "./status.js";
import { ackPolicyProblem, isAckPolicy, isValidSubject } from "./validate.js";

/** How long a Publish without a gRPC deadline waits for its ack. */
export const DEFAULT_ACK_TIMEOUT_MS = 5000;

/** A publish the broker refuses; PublishAsync reports it in-band, Publish as a status. */
export class PublishRefusal extends Error {
  constructor(
    readonly code: PublishAsyncErrorCode,
    message: string,
    /** The status a unary Publish answers with, when not the code's usual one. */
    private readonly grpcStatus?: status,
  ) {
    super(message);
    this.name = "PublishRefusal";
  }

  toApiError(): ApiError {
    const codes: Partial<Record<PublishAsyncErrorCode, status>> = {
      [PublishAsyncErrorCode.NOT_FOUND]: status.NOT_FOUND,
      [PublishAsyncErrorCode.BAD_REQUEST]: status.INVALID_ARGUMENT,
      [PublishAsyncErrorCode.READONLY]: status.FAILED_PRECONDITION,
      // Upstream reports INCORRECT_OFFSET as Unknown; not FailedPrecondition, which clients
      // take as "not the leader" and retry.
      [PublishAsyncErrorCode.ENCRYPTION_FAILED]: status.INTERNAL,
      [PublishAsyncErrorCode.PERMISSION_DENIED]: status.PERMISSION_DENIED,
      [PublishAsyncErrorCode.INTERNAL]: status.INTERNAL,
    };
    return new ApiError(this.grpcStatus ?? codes[this.code] ?? status.UNKNOWN, this.message);
  }
}

/** Validates a PublishRequest and returns the NATS subject of its partition. */
export function publishSubject(ctx: ApiContext, req: PublishRequest): string {
  if (req.stream === "") {
    throw new PublishRefusal(PublishAsyncErrorCode.BAD_REQUEST, "no stream provided");
  }
  if (!isAckPolicy(req.ackPolicy)) {
    throw new PublishRefusal(PublishAsyncErrorCode.BAD_REQUEST, ackPolicyProblem(req.ackPolicy));
  }
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) {
    throw new PublishRefusal(PublishAsyncErrorCode.NOT_FOUND, `no such stream: ${req.stream}`);
  }
  const partition = stream.partitions[req.partition];
  if (!partition) {
    throw new PublishRefusal(
      PublishAsyncErrorCode.NOT_FOUND,
      `no such partition: ${req.partition} (stream ${req.stream} has ${stream.partitions.length})`,
    );
  }
  if (partition.readonly) {
    throw new PublishRefusal(
      PublishAsyncErrorCode.READONLY,
      `readonly partition: ${req.partition}`,
    );
  }
  const occ = stream.settings.optimisticConcurrencyControl ?? ctx.config.streams.concurrencyControl;
  if (occ && req.ackPolicy === AckPolicy.NONE) {
    throw new PublishRefusal(
      PublishAsyncErrorCode.BAD_REQUEST,
      "stream with concurrency control must have AckPolicy set (not NONE)",
    );
  }
  return partitionSubject(stream.subject, req.partition);
}

/** The Publish envelope a partition leader receives on NATS. */
export function publishEnvelope(
  req: PublishRequest | PublishToSubjectRequest,
  subject: string,
  ackInbox: string,
): Uint8Array {
  const message = encodeMessage({
    key: req.key,
    value: req.value,
    stream: "stream" in req ? req.stream : "",
    subject,
    headers: req.headers,
    ackInbox,
    correlationId: req.correlationId,
    ackPolicy: req.ackPolicy,
    offset: "expectedOffset" in req ? req.expectedOffset : 0,
  });
  return encodeEnvelope(MsgType.Publish, message);
}

/** The fields of the envelope `publishEnvelope(req, subject, ackInbox)` builds, as a leader reads them. */
export function publishedFields(req: PublishRequest, ackInbox: string): PublishedFields {
  return {
    key: req.key,
    value: req.value,
    headers: req.headers,
    ackInbox,
    correlationId: req.correlationId,
    ackPolicy: req.ackPolicy,
    offset: req.expectedOffset,
  };
}

/** Publishes on NATS, refusing what NATS would refuse with a message that says why. */
export function sendToNats(ctx: ApiContext, subject: string, data: Uint8Array): void {
  checkPayload(ctx, data);
  ctx.nc.publish(subject, data);
}

function checkPayload(ctx: ApiContext, data: Uint8Array): void {
  const maxPayload = ctx.nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
  if (data.length > maxPayload) {
    throw resourceExhausted(
      `message of ${data.length} bytes (with envelope) exceeds the NATS max_payload of ${maxPayload} bytes`,
    );
  }
}

/**
 * Publishes with the other publishes of this event-loop turn (see publish-turn.ts), then runs
 * `sent` (the local leader records it). Resolves once published; a refusal rejects at once.
 */
function sendThisTurn(
  ctx: ApiContext,
  subject: string,
  data: Uint8Array,
  sent?: () => void,
): Promise<void> {
  checkPayload(ctx, data);
  return new Promise((resolve, reject) => {
    publishThisTurn(() => {
      try {
        ctx.nc.publish(subject, data);
      } catch (err) {
        reject(err);
        return;
      }
      sent?.();
      resolve();
    });
  });
}

/** setTimeout's limit; a deadline further away than this (about 24.8 days) is waited for this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Milliseconds to wait for an ack: until the call's deadline, or DEFAULT_ACK_TIMEOUT_MS without
 * one. Whole milliseconds within setTimeout's range, whatever the deadline's unit or size.
 */
export function ackTimeoutMs(deadline: number, now = Date.now()): number {
  if (!Number.isFinite(deadline)) return DEFAULT_ACK_TIMEOUT_MS;
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - now)));
}

/**
 * Aborts when the ack wait is over: its timeout passed or the broker shuts down. dispose()
 * clears the timer and the listener on the broker's long-lived shutdown signal, so a finished
 * call leaves nothing behind (AbortSignal.any/timeout retained every call's signal on Node 20).
 */
function ackWait(ctx: ApiContext, timeoutMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, timeoutMs);
  if (ctx.shutdown.aborted) abort();
  else ctx.shutdown.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      ctx.shutdown.removeEventListener("abort", abort);
    },
  };
}

/**
 * Sends one message and, unless its ack policy is NONE, waits for the leader's ack: the first
 * one `accepts` takes (other streams recording the same subject ack on the same inbox).
 */
async function publishAndWait(
  ctx: ApiContext,
  subject: string,
  build: (ackInbox: string) => Uint8Array,
  requestedInbox: string,
  ackPolicy: AckPolicy,
  deadline: number,
  accepts: (ack: Ack) => boolean = () => true,
  sent?: (envelope: Uint8Array, ackInbox: string) => void,
): Promise<Ack | undefined> {
  if (ackPolicy === AckPolicy.NONE) {
    const envelope = build(requestedInbox);
    await sendThisTurn(ctx, subject, envelope, sent && (() => sent(envelope, requestedInbox)));
    return undefined;
  }
  if (!requestedInbox) return publishOnOwnInbox(ctx, subject, build, deadline, accepts, sent);
  const wait = ackWait(ctx, ackTimeoutMs(deadline));
  const { signal } = wait;
  const ack = ctx.acks.once(requestedInbox, signal, accepts);
  let onAbort = () => {};
  try {
    const envelope = build(requestedInbox);
    await sendThisTurn(ctx, subject, envelope, sent && (() => sent(envelope, requestedInbox)));
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    const result = await Promise.race([ack, aborted]);
    if (!result) throw noAck(ctx, subject);
    return result;
  } finally {
    signal.removeEventListener("abort", onAbort);
    wait.dispose();
  }
}

function noAck(ctx: ApiContext, subject: string): ApiError {
  return deadlineExceeded(
    ctx.shutdown.aborted
      ? "broker is shutting down"
      : `no ack for the message on ${subject} before the deadline`,
  );
}

/**
 * The common case, an ack on one of the broker's own inboxes: one timer and one handler, no
 * AbortController or listener per call (those were a tenth of the broker's CPU under many
 * concurrent unary calls).
 */
function publishOnOwnInbox(
  ctx: ApiContext,
  subject: string,
  build: (ackInbox: string) => Uint8Array,
  deadline: number,
  accepts: (ack: Ack) => boolean,
  sent?: (envelope: Uint8Array, ackInbox: string) => void,
): Promise<Ack> {
  return new Promise<Ack>((resolve, reject) => {
    let done = false;
    const finish = (err: unknown, ack?: Ack) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopWaitingForShutdown();
      registration.release();
      if (err) reject(err);
      else resolve(ack!);
    };
    const registration = ctx.acks.register((ack) => {
      if (accepts(ack)) finish(undefined, ack);
    });
    const timer = setTimeout(() => finish(noAck(ctx, subject)), ackTimeoutMs(deadline));
    const stopWaitingForShutdown = onShutdown(ctx.shutdown, () => finish(noAck(ctx, subject)));
    try {
      const { inbox } = registration;
      const envelope = build(inbox);
      sendThisTurn(ctx, subject, envelope, sent && (() => sent(envelope, inbox))).catch(finish);
    } catch (err) {
      finish(err);
    }
  });
}

/** Callbacks to run when a broker's shutdown signal aborts, with one listener per signal. */
const shutdownWaiters = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `callback` when `signal` aborts (at once if it has); returns the way to stop waiting. */
function onShutdown(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(callback);
    return () => {};
  }
  let waiters = shutdownWaiters.get(signal);
  if (!waiters) {
    const all = new Set<() => void>();
    waiters = all;
    shutdownWaiters.set(signal, all);
    signal.addEventListener(
      "abort",
      () => {
        for (const waiter of [...all]) waiter();
        all.clear();
      },
      { once: true },
    );
  }
  const set = waiters;
  set.add(callback);
  return () => set.delete(callback);
}

export async function publish(
  ctx: ApiContext,
  req: PublishRequest,
  deadline: number,
): Promise<PublishResponse> {
  const ack = await publishForAck(ctx, req, deadline);
  if (ack && ack.ackError !== AckError.OK) throw ackRefusal(ack, ctx).toApiError();
  return { ack, asyncError: undefined, correlationId: req.correlationId };
}

/** Publish, answering with the ack as received (an ack error is not thrown). */
export async function publishForAck(
  ctx: ApiContext,
  req: PublishRequest,
  deadline: number,
): Promise<Ack | undefined> {
  let subject: string;
  try {
    subject = publishSubject(ctx, req);
  } catch (err) {
    throw err instanceof PublishRefusal ? err.toApiError() : err;
  }
  if (needsResume(ctx, req)) await resumeIfPaused(ctx, req.stream, req.partition);
  return publishAndWait(
    ctx,
    subject,
    (inbox) => publishEnvelope(req, subject, inbox),
    req.ackInbox,
    req.ackPolicy,
    deadline,
    (ack) => ack.stream === req.stream,
    // Leading the partition here, it records the message now instead of when NATS echoes it.
    (envelope, inbox) =>
      ctx.partitions
        .get(req.stream, req.partition)
        ?.recordLocal(envelope, publishedFields(req, inbox)),
  );
}

export async function publishToSubject(
  ctx: ApiContext,
  req: PublishToSubjectRequest,
  deadline: number,
): Promise<PublishToSubjectResponse> {
  if (!isValidSubject(req.subject) || /[*>]/.test(req.subject)) {
    throw new ApiError(
      status.INVALID_ARGUMENT,
      `Subject is invalid: ${JSON.stringify(req.subject)} (expected a NATS subject without wildcards)`,
    );
  }
  if (!isAckPolicy(req.ackPolicy)) {
    throw new ApiError(status.INVALID_ARGUMENT, ackPolicyProblem(req.ackPolicy));
  }
  const ack = await publishAndWait(
    ctx,
    req.subject,
    (inbox) => publishEnvelope(req, req.subject, inbox),
    req.ackInbox,
    req.ackPolicy,
    deadline,
  );
  return { ack };
}

/** Whether publishing to the request's partition must first resume it (or its stream). */
export function needsResume(ctx: ApiContext, req: PublishRequest): boolean {
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) return false;
  return (
    stream.partitions[req.partition]?.paused === true ||
    (stream.resumeAll === true && stream.partitions.some((p) => p.paused))
  );
}

/**
 * Why a partition of the ack's stream refuses ALL-policy publishes, if one does: fewer
 * in-sync replicas than its minIsr. (An Ack has no field for this, only UNKNOWN.)
 */
function belowMinIsr(ctx: ApiContext, ack: Ack): string | undefined {
  if (ack.ackPolicy !== AckPolicy.ALL) return undefined;
  const stream = ctx.metadata.getStream(ack.stream);
  if (!stream) return undefined;
  const minIsr = stream.settings.minIsr ?? ctx.config.clustering.minInsyncReplicas;
  const short = stream.partitions.find((p) => p.isr.length < minIsr);
  return (
    short &&
    `not enough in-sync replicas: stream ${stream.name} partition ${short.id} has ${short.isr.length} (${short.isr.join(",")}), minIsr is ${minIsr}; ack policy ALL is refused until replicas catch up`
  );
}

/** Maps an Ack carrying an error to the refusal a client sees (as upstream does). */
export function ackRefusal(ack: Ack, ctx?: ApiContext): PublishRefusal {
  switch (ack.ackError) {
    case AckError.INCORRECT_OFFSET:
      return new PublishRefusal(
        PublishAsyncErrorCode.INCORRECT_OFFSET,
        "incorrect expected offset",
      );
    case AckError.TOO_LARGE:
      return new PublishRefusal(
        PublishAsyncErrorCode.BAD_REQUEST,
        "message exceeds max replication size",
      );
    case AckError.ENCRYPTION:
      return new PublishRefusal(
        PublishAsyncErrorCode.ENCRYPTION_FAILED,
        "encryption failed on partition",
      );
    default:
      if (ackReason(ack) === "noSpace") {
        // gRPC's own meaning of RESOURCE_EXHAUSTED includes "the file system is out of space".
        return new PublishRefusal(
          PublishAsyncErrorCode.UNKNOWN,
          `no space left on device while storing the message: the disk of the leader of ${ack.stream} is full; free space (delete streams) and publish again`,
          status.RESOURCE_EXHAUSTED,
        );
      }
      return new PublishRefusal(
        PublishAsyncErrorCode.UNKNOWN,
        (ctx && belowMinIsr(ctx, ack)) ??
          (ack.ackPolicy === AckPolicy.ALL
            ? `the leader of ${ack.stream} refused the message: with ack policy ALL this means too few in-sync replicas (below minIsr) or a storage failure; its log says which`
            : `the leader of ${ack.stream} could not store the message (its log says why)`),
      );
  }
}
