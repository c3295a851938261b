/**
 * The shape check every committed metadata command passes before it is applied. Requests are
 * validated in full before they are proposed; this is the state machine's own guard, so that a
 * command no broker can apply (a bug, a newer broker's command, a damaged entry) is skipped the
 * same way on every broker instead of throwing out of apply. It checks only what apply relies
 * on, never a configurable limit, so every broker reaches the same verdict.
 */

import type { MetadataCommand } from "./types.js";

type Check = (value: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isString: Check = (v) => typeof v === "string";
const isName: Check = (v) => typeof v === "string" && v !== "";
const isBool: Check = (v) => typeof v === "boolean";
const isCount: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isDecimal: Check = (v) => typeof v === "string" && /^\d+$/.test(v);
const listOf =
  (item: Check, nonEmpty = false): Check =>
  (v) =>
    Array.isArray(v) && (!nonEmpty || v.length > 0) && v.every(item);

function fields(shape: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v) =>
    isObject(v) &&
    Object.entries(shape).every(([key, check]) => check(v[key])) &&
    Object.entries(optional).every(([key, check]) => v[key] === undefined || check(v[key]));
}

const timestamps = fields({ first: isDecimal, latest: isDecimal });

const partition: Check = fields(
  {
    id: isCount,
    leader: isName,
    replicas: listOf(isName, true),
    isr: listOf(isName),
    epoch: isCount,
    leaderEpoch: isCount,
    paused: isBool,
    readonly: isBool,
  },
  { pauseTimestamps: timestamps, readonlyTimestamps: timestamps },
);

/** Partition i sits at index i, its leader is a replica and its ISR members are replicas. */
function consistentPartitions(partitions: unknown): boolean {
  if (!listOf(partition, true)(partitions)) return false;
  return (partitions as { id: number; leader: string; replicas: string[]; isr: string[] }[]).every(
    (p, i) =>
      p.id === i && p.replicas.includes(p.leader) && p.isr.every((r) => p.replicas.includes(r)),
  );
}

const stream = fields(
  {
    name: isName,
    subject: isName,
    group: isString,
    replicationFactor: (v) => Number.isSafeInteger(v) && (v as number) >= 1,
    partitions: consistentPartitions,
    settings: isObject,
    creationTimestamp: isDecimal,
  },
  { resumeAll: isBool },
);

const SHAPES: Record<string, Check> = {
  upsertBroker: fields({
    broker: fields({
      id: isName,
      host: isString,
      port: (v) => isCount(v) && (v as number) <= 65535,
    }),
  }),
  createStream: fields({ stream }),
  deleteStream: fields({ name: isName }),
  pauseStream: fields({
    stream: isName,
    partitions: listOf(isCount),
    resumeAll: isBool,
    timestamp: isDecimal,
  }),
  resumeStream: fields({ stream: isName, partitions: listOf(isCount), timestamp: isDecimal }),
  setReadonly: fields({
    stream: isName,
    partitions: listOf(isCount),
    readonly: isBool,
    timestamp: isDecimal,
  }),
  brokerDown: fields({ id: isName }),
  brokerUp: fields({ id: isName }),
  changeLeader: fields({
    stream: isName,
    partition: isCount,
    leaderEpoch: isCount,
    leader: isName,
  }),
  shrinkIsr: fields({ stream: isName, partition: isCount, leaderEpoch: isCount, replica: isName }),
  expandIsr: fields({ stream: isName, partition: isCount, leaderEpoch: isCount, replica: isName }),
  joinGroup: fields({
    group: isName,
    consumer: isName,
    streams: listOf(isName, true),
    coordinator: isName,
  }),
  leaveGroup: fields({ group: isName, consumer: isName, expired: isBool }),
};

/** Why the command cannot be applied, or undefined when it can. */
export function commandProblem(command: unknown): string | undefined {
  if (!isObject(command)) return "not an object";
  const op = command.op;
  if (typeof op !== "string" || !Object.hasOwn(SHAPES, op)) {
    return `unknown op ${JSON.stringify(op)}`;
  }
  return SHAPES[op]!(command) ? undefined : `malformed ${op} command`;
}

/**
 * A committed entry's command. Bytes that are not JSON decode to a value commandProblem refuses,
 * so apply skips them like any other command it cannot apply.
 */
export function decodeCommand(data: Uint8Array): MetadataCommand {
  try {
    return JSON.parse(Buffer.from(data).toString("utf8")) as MetadataCommand;
  } catch {
    return { op: "(not JSON)" } as unknown as MetadataCommand;
  }
}
