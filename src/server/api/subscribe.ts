import { status } from "@grpc/grpc-js";
import { StartPosition, StopPosition, type SubscribeRequest } from "../../wire/api.js";
import { forEachFramedMessage } from "../../wire/message-frames.js";
import type { ServerStreamCall } from "../grpc/calls.js";
import { CorruptRecordError } from "../log/index.js";
import { memberAssignments } from "../metadata/group-assignment.js";
import { streamCommitted } from "../partition/reader.js";
import { PartitionClosedError, type PartitionReader } from "../partition/reader-view.js";
import type { ApiContext } from "./context.js";
import { resumeIfPaused } from "./lifecycle.js";
import {
  ApiError,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
  toApiError,
  unavailable,
} from "./status.js";

const HANDSHAKE = Buffer.alloc(0);

/** The grpc-js internals writeInBatches relies on: the call object behind a server stream. */
interface GrpcServerStreamInternals {
  _writev?: unknown;
  call?: { sendMessage?: (message: unknown, callback: () => void) => void };
}

/**
 * grpc-js server streams are Writables without `_writev`: each message waits for the previous
 * one's HTTP/2 write to complete, so every message costs its own socket write. Giving the stream
 * a `_writev` that hands all buffered messages to grpc-js at once lets HTTP/2 send them in one
 * write. Messages and framing are unchanged. If grpc-js's internals differ, or the call is not
 * grpc-js's (Http2GrpcServer coalesces writes itself), nothing is changed.
 */
export function writeInBatches(stream: object): void {
  const internals = stream as GrpcServerStreamInternals;
  const inner = internals.call;
  if (typeof inner?.sendMessage !== "function" || typeof internals._writev === "function") return;
  const sendMessage = inner.sendMessage.bind(inner);
  internals._writev = (chunks: { chunk: unknown }[], callback: () => void) => {
    let pending = chunks.length;
    const sent = () => {
      if (--pending === 0) callback();
    };
    for (const { chunk } of chunks) sendMessage(chunk, sent);
  };
}

/** A call that takes messages already framed (Http2Call); grpc-js's calls frame each write. */
interface FramedCall {
  writeFrames(frames: Buffer, largestMessage: number): boolean;
}

/**
 * How the subscription's framed messages reach the call: as they are where the call takes
 * frames, else one write per message (grpc-js's server frames each itself).
 */
function framedWriter(
  call: ServerStreamCall<SubscribeRequest, Buffer>,
): (frames: Buffer, largestMessage: number) => boolean {
  const framed = call as Partial<FramedCall>;
  if (typeof framed.writeFrames === "function") return framed.writeFrames.bind(call);
  return (frames) => {
    let ready = true;
    forEachFramedMessage(frames, (message) => {
      ready = call.write(message);
    });
    return ready;
  };
}

/**
 * Subscribe: checks the request, sends the empty handshake message, then streams committed
 * records. Reaching the stop position ends the call with RESOURCE_EXHAUSTED, which upstream
 * clients read as the normal end of the subscription.
 */
export async function subscribe(
  ctx: ApiContext,
  call: ServerStreamCall<SubscribeRequest, Buffer>,
): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.on("cancelled", stop);
  call.on("error", stop);
  ctx.shutdown.addEventListener("abort", stop, { once: true });
  writeInBatches(call);
  let subscribed: PartitionReader | undefined;
  let replaced = false;
  let releaseGroupSlot: (() => void) | undefined;
  try {
    const req = call.request;
    if (req.resume) await resumeIfPaused(ctx, req.stream, req.partition);
    const partition = findPartition(ctx, req);
    if (req.consumer?.groupId) {
      releaseGroupSlot = claimGroupSlot(ctx, req, () => {
        replaced = true;
        abort.abort();
      });
    }
    const start = await startOffset(partition, req);
    const stopAt = await stopOffset(partition, req);
    if (stopAt !== undefined && stopAt < start) {
      throw invalidArgument(`Stop offset is before start offset: ${stopAt} < ${start}`);
    }
    call.write(HANDSHAKE);
    partition.subscribers++;
    subscribed = partition;
    const sink = {
      write: framedWriter(call),
      drained: () =>
        new Promise<void>((resolve) => {
          const done = () => {
            call.off("drain", done);
            abort.signal.removeEventListener("abort", done);
            resolve();
          };
          call.on("drain", done);
          abort.signal.addEventListener("abort", done, { once: true });
        }),
    };
    const outcome = await streamCommitted(partition, start, stopAt, sink, abort.signal);
    if (outcome === "stopped") throw resourceExhausted("Stop offset reached");
    if (outcome === "readonly") throw resourceExhausted("End of readonly partition");
    if (ctx.shutdown.aborted) throw unavailable("broker is shutting down");
    call.end();
  } catch (err) {
    if (replaced) {
      call.end(); // a newer member of the consumer group took this partition over
      return;
    }
    if (abort.signal.aborted && !ctx.shutdown.aborted) return;
    if (err instanceof CorruptRecordError) {
      const { stream, partition } = call.request;
      ctx.logger.error("damaged record not served", {
        stream,
        partition,
        offset: err.offset,
        segment: err.segment,
        position: err.position,
        reason: err.reason,
      });
      call.emit(
        "error",
        new ApiError(
          status.DATA_LOSS,
          `damaged record in stream ${stream} partition ${partition} at offset ${err.offset}: ${err.reason} (run lb log verify on the partition)`,
        ).toServiceError(),
      );
      return;
    }
    call.emit("error", toServiceError(err));
  } finally {
    ctx.shutdown.removeEventListener("abort", stop);
    if (subscribed) subscribed.subscribers--;
    releaseGroupSlot?.();
  }
}

function toServiceError(err: unknown) {
  const apiError =
    err instanceof PartitionClosedError
      ? err.reason === "deleted"
        ? notFound(err.message)
        : err.reason === "paused"
          ? failedPrecondition(err.message)
          : unavailable(err.message)
      : toApiError(err);
  return apiError.toServiceError();
}

function findPartition(ctx: ApiContext, req: SubscribeRequest): PartitionReader {
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) throw notFound(`No such stream: ${req.stream}`);
  const info = stream.partitions[req.partition];
  if (!info) {
    throw notFound(
      `No such partition: ${req.partition} (stream ${req.stream} has ${stream.partitions.length})`,
    );
  }
  if (info.paused) {
    throw failedPrecondition(
      `partition ${req.stream}/${req.partition} is paused (subscribe with resume, or publish to it, to resume it)`,
    );
  }
  const leads = info.leader === ctx.serverId;
  if (!leads && !req.readISRReplica) throw failedPrecondition("Server not partition leader");
  if (!leads && !info.isr.includes(ctx.serverId)) {
    throw failedPrecondition("Server not in partition ISR");
  }
  const partition = leads
    ? ctx.partitions.get(req.stream, req.partition)
    : ctx.partitions.replica(req.stream, req.partition);
  if (!partition)
    throw unavailable(`partition ${req.stream}/${req.partition} is not open here yet`);
  return partition;
}

async function startOffset(partition: PartitionReader, req: SubscribeRequest): Promise<number> {
  let offset: number;
  switch (req.startPosition) {
    case StartPosition.OFFSET:
      offset = req.startOffset;
      break;
    case StartPosition.TIMESTAMP:
      offset = await partition.offsetForTimestamp(req.startTimestamp);
      break;
    case StartPosition.EARLIEST:
      offset = partition.oldestOffset;
      break;
    case StartPosition.LATEST:
      offset = partition.highWatermark;
      break;
    case StartPosition.NEW_ONLY:
      offset = partition.highWatermark + 1;
      break;
    default:
      throw invalidArgument(`Unknown StartPosition ${req.startPosition}`);
  }
  return Math.max(offset, 0);
}

/** The last offset to send, or undefined to follow the partition until cancelled. */
async function stopOffset(
  partition: PartitionReader,
  req: SubscribeRequest,
): Promise<number | undefined> {
  switch (req.stopPosition) {
    case StopPosition.STOP_ON_CANCEL:
      return undefined;
    case StopPosition.STOP_OFFSET:
      if (req.stopOffset < 0) throw invalidArgument(`Invalid stopOffset ${req.stopOffset}`);
      return req.stopOffset;
    case StopPosition.STOP_TIMESTAMP:
      return partition.latestOffsetAtOrBefore(req.stopTimestamp);
    case StopPosition.STOP_LATEST:
      if (partition.highWatermark < 0) throw resourceExhausted("Stream is empty");
      return partition.highWatermark;
    default:
      throw invalidArgument(`Unknown StopPosition ${req.stopPosition}`);
  }
}

interface GroupSlot {
  epoch: number;
  replace: () => void;
}

/** Per stream partition and consumer group: the one subscription the group has there. */
const groupSlots = new Map<string, GroupSlot>();

/**
 * A consumer group reads a partition through one member at a time: the member must be
 * assigned the partition, and a subscription from a newer group epoch replaces an older one
 * (as upstream fences consumers by epoch). Returns the release function.
 */
function claimGroupSlot(ctx: ApiContext, req: SubscribeRequest, replace: () => void): () => void {
  const consumer = req.consumer!;
  if (!consumer.consumerId) {
    throw invalidArgument("Consumer id cannot be empty when group id is provided");
  }
  if (req.readISRReplica) {
    throw invalidArgument("Consumer groups not compatible with ReadISRReplica");
  }
  const assigned = memberAssignments(ctx.metadata, consumer.groupId, consumer.consumerId);
  if (!assigned?.get(req.stream)?.includes(req.partition)) {
    throw failedPrecondition("Consumer is not currently assigned this partition");
  }
  const key = `${req.stream}\u0000${req.partition}\u0000${consumer.groupId}`;
  const existing = groupSlots.get(key);
  if (existing && existing.epoch > consumer.groupEpoch) {
    throw failedPrecondition("Consumer is not currently assigned this partition");
  }
  existing?.replace();
  const slot: GroupSlot = { epoch: consumer.groupEpoch, replace };
  groupSlots.set(key, slot);
  return () => {
    if (groupSlots.get(key) === slot) groupSlots.delete(key);
  };
}
