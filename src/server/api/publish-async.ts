import { status } from "@grpc/grpc-js";
import {
  type Ack,
  AckError,
  AckPolicy,
  decodeAck,
  PublishAsyncErrorCode,
  type PublishRequest,
  type PublishResponse,
} from "../../wire/api.js";
import type { DuplexCall } from "../grpc/calls.js";
import type { ApiContext } from "./context.js";
import { resumeIfPaused } from "./lifecycle.js";
import {
  ackRefusal,
  needsResume,
  PublishRefusal,
  publishEnvelope,
  publishedFields,
  publishSubject,
  sendToNats,
} from "./publish.js";
import { publishThisTurn } from "./publish-turn.js";
import { ApiError } from "./status.js";
import { writeInBatches } from "./subscribe.js";

/** How long a closing PublishAsync session waits for acks still in flight. */
const DRAIN_TIMEOUT_MS = 5000;

/**
 * One PublishAsync call: requests are published as they arrive (pipelined), and acks come
 * back on the session's own inbox and are answered by correlationId. Responses produced in
 * the same event-loop turn are written together.
 */
export function publishAsync(ctx: ApiContext, call: DuplexCall<PublishResponse>): void {
  writeInBatches(call);
  let inflight = 0;
  let clientDone = false;
  let ended = false;
  let drainTimer: NodeJS.Timeout | undefined;

  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(drainTimer);
    ctx.shutdown.removeEventListener("abort", end);
    registration.release();
    call.end();
  };
  const maybeFinish = () => {
    if (clientDone && inflight === 0 && !queue && batch.length === 0) end();
  };
  const respond = (response: PublishResponse) => {
    if (!ended) call.write(response);
  };
  const refuse = (correlationId: string, refusal: PublishRefusal) =>
    respond({
      correlationId,
      // An Ack with an empty correlationId keeps older clients that ignore asyncError working.
      ack: emptyAck(),
      asyncError: { code: refusal.code, message: refusal.message },
    });

  // Acks this session awaits, by stream and correlationId: a stream whose subject overlaps
  // (a wildcard) records the same envelope and acks on the same inbox; that ack is not ours.
  const awaited = new Map<string, number>();
  const awaitKey = (stream: string, correlationId: string) => `${stream}\n${correlationId}`;
  const registration = ctx.acks.register((ack) => {
    const key = awaitKey(ack.stream, ack.correlationId);
    const count = awaited.get(key);
    if (count === undefined) return;
    if (count > 1) awaited.set(key, count - 1);
    else awaited.delete(key);
    inflight = Math.max(0, inflight - 1);
    if (ack.ackError !== AckError.OK) refuse(ack.correlationId, ackRefusal(ack, ctx));
    else respond({ correlationId: ack.correlationId, ack, asyncError: undefined });
    maybeFinish();
  });

  // Requests wait behind a resume of a paused partition, so they stay in order.
  let queue: Promise<void> | undefined;
  const publishOne = (req: PublishRequest) => {
    try {
      const subject = publishSubject(ctx, req);
      const envelope = publishEnvelope(req, subject, registration.inbox);
      sendToNats(ctx, subject, envelope);
      if (req.ackPolicy !== AckPolicy.NONE) {
        const key = awaitKey(req.stream, req.correlationId);
        awaited.set(key, (awaited.get(key) ?? 0) + 1);
        inflight++;
      }
      // Leading the partition here, it records the message now instead of when NATS echoes it.
      ctx.partitions
        .get(req.stream, req.partition)
        ?.recordLocal(envelope, publishedFields(req, registration.inbox));
    } catch (err) {
      const refusal =
        err instanceof PublishRefusal
          ? err
          : new PublishRefusal(
              err instanceof ApiError && err.code === status.RESOURCE_EXHAUSTED
                ? PublishAsyncErrorCode.BAD_REQUEST
                : PublishAsyncErrorCode.INTERNAL,
              err instanceof Error ? err.message : String(err),
            );
      refuse(req.correlationId, refusal);
    }
  };
  // Requests are published with those of every other call in this event-loop turn.
  let batch: PublishRequest[] = [];
  const publishBatch = () => {
    const requests = batch;
    batch = [];
    for (const req of requests) publishOne(req);
    maybeFinish();
  };
  const publishSoon = (req: PublishRequest) => {
    if (batch.length === 0) publishThisTurn(publishBatch);
    batch.push(req);
  };
  call.on("data", (req: PublishRequest) => {
    if (!queue && !needsResume(ctx, req)) {
      publishSoon(req);
      return;
    }
    const next = (queue ?? Promise.resolve()).then(async () => {
      if (needsResume(ctx, req)) {
        await resumeIfPaused(ctx, req.stream, req.partition).catch((err) =>
          refuse(
            req.correlationId,
            new PublishRefusal(PublishAsyncErrorCode.INTERNAL, String(err)),
          ),
        );
      }
      publishSoon(req);
    });
    queue = next;
    void next.then(() => {
      if (queue === next) queue = undefined;
      maybeFinish();
    });
  });
  call.on("end", () => {
    clientDone = true;
    drainTimer = setTimeout(end, DRAIN_TIMEOUT_MS);
    maybeFinish();
  });
  call.on("error", () => end());
  call.on("cancelled", () => end());
  ctx.shutdown.addEventListener("abort", end, { once: true });
}

function emptyAck(): Ack {
  return decodeAck(new Uint8Array(0));
}
