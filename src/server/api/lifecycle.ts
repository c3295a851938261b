import type { PauseStreamRequest, SetStreamReadonlyRequest } from "../../wire/api.js";
import { nowNanos } from "../clock.js";
import type { ApiContext } from "./context.js";
import { invalidArgument, notFound } from "./status.js";
import { checkStreamName, validatePartitionList } from "./validate.js";

/**
 * The listed partitions, or all of them when none are listed; NotFound for unknown ones, decided
 * only once this broker has caught up with the controller.
 */
async function checkPartitions(
  ctx: ApiContext,
  name: string,
  partitions: number[],
): Promise<number[]> {
  if (name === "") throw invalidArgument("Name cannot be empty");
  validatePartitionList("partitions", partitions);
  const known = ctx.metadata.getStream(name);
  if (!known || partitions.some((id) => !known.partitions[id])) await ctx.replicatedLog.catchUp();
  const stream = ctx.metadata.getStream(name);
  if (!stream) {
    checkStreamName(name);
    throw notFound(`No such stream: ${name}`);
  }
  const missing = partitions.find((id) => !stream.partitions[id]);
  if (missing !== undefined) {
    throw notFound(
      `No such partition: ${missing} (stream ${name} has ${stream.partitions.length})`,
    );
  }
  return partitions.length ? partitions : stream.partitions.map((p) => p.id);
}

/** PauseStream: paused partitions close their files and stop recording their subject. */
export async function pauseStream(ctx: ApiContext, req: PauseStreamRequest): Promise<void> {
  const partitions = await checkPartitions(ctx, req.name, req.partitions);
  const result = await ctx.replicatedLog.propose({
    op: "pauseStream",
    stream: req.name,
    partitions,
    resumeAll: req.resumeAll,
    timestamp: nowNanos().toString(),
  });
  if (!result.ok) throw notFound(`No such stream: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

export async function setStreamReadonly(
  ctx: ApiContext,
  req: SetStreamReadonlyRequest,
): Promise<void> {
  const partitions = await checkPartitions(ctx, req.name, req.partitions);
  const result = await ctx.replicatedLog.propose({
    op: "setReadonly",
    stream: req.name,
    partitions,
    readonly: req.readonly,
    timestamp: nowNanos().toString(),
  });
  if (!result.ok) throw notFound(`No such stream: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

/**
 * Resumes what a publish to `partition` (or a subscribe with resume) needs: that partition,
 * or every paused partition when the stream was paused with resumeAll. Upstream resumes on
 * publishes through the API only; plain NATS messages to a paused partition are not recorded.
 */
export async function resumeIfPaused(
  ctx: ApiContext,
  name: string,
  partition: number,
): Promise<void> {
  const stream = ctx.metadata.getStream(name);
  if (!stream) return;
  const toResume = stream.resumeAll
    ? stream.partitions.filter((p) => p.paused).map((p) => p.id)
    : stream.partitions[partition]?.paused
      ? [partition]
      : [];
  if (toResume.length === 0) return;
  await ctx.replicatedLog.propose({
    op: "resumeStream",
    stream: name,
    partitions: toResume,
    timestamp: nowNanos().toString(),
  });
  await ctx.partitions.whenSettled(name);
}
