import type {
  CreateStreamRequest,
  MessageInit,
  PublishRequest,
  PublishToSubjectRequest,
  SubscribeRequest,
} from "../wire/api.js";
import { AckPolicy, StartPosition, StopPosition } from "../wire/api.js";
import { LbError } from "./errors.js";
import type {
  AckPolicyName,
  Bytes,
  CreateStreamOptions,
  PublishOptions,
  PublishToSubjectOptions,
  SubscribeOptions,
} from "./types.js";

export type SubscribeRequestInit = MessageInit<SubscribeRequest>;
export type PublishRequestInit = MessageInit<PublishRequest>;

const INT32_MAX = 2 ** 31 - 1;
const encoder = new TextEncoder();

function invalid(field: string, value: unknown, expected: string): LbError {
  const shown = typeof value === "string" ? `"${value}"` : String(value);
  return new LbError("invalid_argument", `${field} ${shown}: expected ${expected}`);
}

export function requireName(field: string, value: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw invalid(field, value, "a non-empty string");
  }
  return value;
}

export function requireInteger(
  field: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function requirePositiveTimeout(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(field, value, "a positive number of ms");
  return value;
}

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

export function headersToBytes(
  headers: Record<string, Bytes> | undefined,
): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key] = toBytes(value);
  return out;
}

const ACK_POLICIES: Readonly<Record<AckPolicyName, AckPolicy>> = {
  leader: AckPolicy.LEADER,
  all: AckPolicy.ALL,
  none: AckPolicy.NONE,
};

export function ackPolicyToWire(name: AckPolicyName | undefined): AckPolicy {
  const policy = ACK_POLICIES[name ?? "leader"];
  if (policy === undefined) throw invalid("ackPolicy", name, "leader, all or none");
  return policy;
}

export function buildCreateStreamRequest(
  subject: string,
  name: string,
  opts: CreateStreamOptions,
): MessageInit<CreateStreamRequest> {
  const nonNegative = (field: keyof CreateStreamOptions, max?: number) => {
    const value = opts[field];
    return value === undefined ? undefined : requireInteger(field, value as number, 0, max);
  };
  const flag = (field: keyof CreateStreamOptions) => {
    const value = opts[field];
    if (value !== undefined && typeof value !== "boolean") throw invalid(field, value, "a boolean");
    return value as boolean | undefined;
  };
  const replicationFactor = opts.replicationFactor ?? 1;
  if (replicationFactor !== -1)
    requireInteger("replicationFactor", replicationFactor, 1, INT32_MAX);
  return {
    subject: requireName("subject", subject),
    name: requireName("name", name),
    group: opts.group ?? "",
    partitions: requireInteger("partitions", opts.partitions ?? 1, 1, INT32_MAX),
    replicationFactor,
    retentionMaxBytes: nonNegative("retentionMaxBytes"),
    retentionMaxMessages: nonNegative("retentionMaxMessages"),
    retentionMaxAge: nonNegative("retentionMaxAgeMs"),
    cleanerInterval: nonNegative("cleanerIntervalMs"),
    segmentMaxBytes: nonNegative("segmentMaxBytes"),
    segmentMaxAge: nonNegative("segmentMaxAgeMs"),
    compactMaxGoroutines: nonNegative("compactMaxGoroutines", INT32_MAX),
    compactEnabled: flag("compactEnabled"),
    autoPauseTime: nonNegative("autoPauseTimeMs"),
    autoPauseDisableIfSubscribers: flag("autoPauseDisableIfSubscribers"),
    minIsr: nonNegative("minIsr", INT32_MAX),
    optimisticConcurrencyControl: flag("optimisticConcurrencyControl"),
    encryption: flag("encryption"),
  };
}

export function buildPublishRequest(
  stream: string,
  partition: number,
  value: Bytes,
  opts: PublishOptions,
  correlationId: string,
): PublishRequestInit {
  return {
    stream: requireName("stream", stream),
    partition: requireInteger("partition", partition, 0, INT32_MAX),
    key: opts.key === undefined ? new Uint8Array(0) : toBytes(opts.key),
    value: toBytes(value),
    headers: headersToBytes(opts.headers),
    ackInbox: opts.ackInbox ?? "",
    correlationId,
    ackPolicy: ackPolicyToWire(opts.ackPolicy),
    // -1 ("whatever comes next") is what go-liftbridge sends when the caller sets none.
    expectedOffset: requireInteger("expectedOffset", opts.expectedOffset ?? -1, -1),
  };
}

export function buildPublishToSubjectRequest(
  subject: string,
  value: Bytes,
  opts: PublishToSubjectOptions,
): MessageInit<PublishToSubjectRequest> {
  return {
    subject: requireName("subject", subject),
    key: opts.key === undefined ? new Uint8Array(0) : toBytes(opts.key),
    value: toBytes(value),
    headers: headersToBytes(opts.headers),
    ackInbox: opts.ackInbox ?? "",
    correlationId: opts.correlationId ?? "",
    ackPolicy: ackPolicyToWire(opts.ackPolicy),
  };
}

export function buildSubscribeRequest(
  stream: string,
  opts: SubscribeOptions,
): SubscribeRequestInit {
  const request: SubscribeRequestInit = {
    stream: requireName("stream", stream),
    partition: requireInteger("partition", opts.partition ?? 0, 0, INT32_MAX),
    readISRReplica: opts.readISRReplica ?? false,
    resume: opts.resume ?? false,
  };
  const start = opts.start ?? { kind: "new" };
  switch (start.kind) {
    case "new":
      request.startPosition = StartPosition.NEW_ONLY;
      break;
    case "earliest":
      request.startPosition = StartPosition.EARLIEST;
      break;
    case "latest":
      request.startPosition = StartPosition.LATEST;
      break;
    case "offset":
      request.startPosition = StartPosition.OFFSET;
      request.startOffset = requireInteger("start.offset", start.offset, 0);
      break;
    case "timestamp":
      request.startPosition = StartPosition.TIMESTAMP;
      request.startTimestamp = start.timestamp;
      break;
    default:
      throw invalid(
        "start.kind",
        (start as { kind: unknown }).kind,
        "new, earliest, latest, offset or timestamp",
      );
  }
  const stop = opts.stop;
  if (stop === undefined) {
    request.stopPosition = StopPosition.STOP_ON_CANCEL;
  } else if (stop.kind === "latest") {
    request.stopPosition = StopPosition.STOP_LATEST;
  } else if (stop.kind === "offset") {
    request.stopPosition = StopPosition.STOP_OFFSET;
    request.stopOffset = requireInteger("stop.offset", stop.offset, 0);
  } else if (stop.kind === "timestamp") {
    request.stopPosition = StopPosition.STOP_TIMESTAMP;
    request.stopTimestamp = stop.timestamp;
  } else {
    throw invalid("stop.kind", (stop as { kind: unknown }).kind, "latest, offset or timestamp");
  }
  return request;
}

/** The same subscription, starting again right after the last offset it delivered. */
export function resumeSubscribeRequest(
  request: SubscribeRequestInit,
  nextOffset: number,
): SubscribeRequestInit {
  return {
    ...request,
    startPosition: StartPosition.OFFSET,
    startOffset: nextOffset,
    resume: false,
  };
}
