import { AckPolicy } from "../../wire/api.js";
import { invalidArgument } from "./status.js";

export const RESERVED_STREAMS = new Set(["__cursors", "__activity"]);

/**
 * Limits every request is checked against before anything is proposed to the metadata log.
 * Stream names become one directory name (`<data>/streams/<name>`; NAME_MAX is 255 bytes on
 * ext4, xfs, btrfs and tmpfs) and one token of internal NATS subjects; subjects and groups
 * appear in SUB lines, which nats-server refuses (and the connection then loops reconnecting)
 * beyond its max_control_line, 4096 bytes by default. These keep every line lb sends far below.
 */
export const LIMITS = {
  streamNameBytes: 249,
  subjectBytes: 1024,
  groupBytes: 255,
  /** Consumer group ids, consumer ids and cursor ids. */
  idBytes: 1024,
  segmentMinBytes: 1024,
  /** Segment positions are 32-bit; Kafka's segment.bytes has the same bound. */
  segmentMaxBytes: 2 ** 31 - 1,
  segmentMinAgeMs: 1000,
} as const;

/** Whitespace, NATS wildcards and token separator, path separators and control characters. */
const FORBIDDEN_NAME_CHARS = /[\s.*>/\\\p{Cc}]/u;
/** Whitespace and control characters end a NATS protocol field. */
const FORBIDDEN_FIELD_CHARS = /[\s\p{Cc}]/u;

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** Names a refused value the way the request carried it. */
function show(value: unknown): string {
  if (typeof value !== "string") return String(value);
  return value.length > 64
    ? `${JSON.stringify(value.slice(0, 64))}... (${utf8Bytes(value)} bytes)`
    : JSON.stringify(value);
}

export function invalidField(field: string, value: unknown, expected: string) {
  return invalidArgument(`Invalid ${field} ${show(value)}: expected ${expected}`);
}

/**
 * Stream names become directory names and NATS subject tokens (`<ns>.<stream>.<p>.replicate`),
 * so they must be one subject token and a safe file name.
 */
export function validateStreamName(name: string, field = "name"): void {
  if (name === "") throw invalidArgument("Name cannot be empty");
  checkStreamName(name, field);
  if (RESERVED_STREAMS.has(name)) throw invalidArgument(`Stream is reserved: ${name}`);
}

/** The shape of a stream name, without the reserved-name rule (for lookups of any stream). */
export function checkStreamName(name: string, field = "name"): void {
  if (FORBIDDEN_NAME_CHARS.test(name) || utf8Bytes(name) > LIMITS.streamNameBytes) {
    throw invalidField(
      field,
      name,
      `at most ${LIMITS.streamNameBytes} UTF-8 bytes without whitespace, control characters, '.', '*', '>', '/' or '\\'`,
    );
  }
}

/** A valid NATS subscription subject: dot-separated non-empty tokens, `*` tokens, `>` last. */
export function isValidSubject(subject: string): boolean {
  if (subject === "" || FORBIDDEN_FIELD_CHARS.test(subject)) return false;
  const tokens = subject.split(".");
  return tokens.every((token, i) => {
    if (token === "") return false;
    if (token === ">") return i === tokens.length - 1;
    return token === "*" || !/[*>]/.test(token);
  });
}

export function validateSubject(subject: string): void {
  if (!isValidSubject(subject)) {
    throw invalidArgument(
      `Subject is invalid: ${show(subject)} (expected NATS subject tokens separated by '.', with '*' as a whole token and '>' only last)`,
    );
  }
  if (utf8Bytes(subject) > LIMITS.subjectBytes) {
    throw invalidField("subject", subject, `at most ${LIMITS.subjectBytes} UTF-8 bytes`);
  }
}

/** A NATS queue group name: one protocol field. Empty means no group. */
export function validateGroup(group: string): void {
  if (FORBIDDEN_FIELD_CHARS.test(group) || utf8Bytes(group) > LIMITS.groupBytes) {
    throw invalidField(
      "group",
      group,
      `at most ${LIMITS.groupBytes} UTF-8 bytes without whitespace or control characters`,
    );
  }
}

/** Group, consumer and cursor ids: non-empty, bounded (they are stored in metadata and logs). */
export function validateId(field: string, id: string): void {
  if (id === "") throw invalidArgument(`No ${field} provided`);
  if (utf8Bytes(id) > LIMITS.idBytes) {
    throw invalidField(field, id, `at most ${LIMITS.idBytes} UTF-8 bytes`);
  }
}

/** Partition numbers as listed in a request: integers of the stream's range. */
export function validatePartitionList(field: string, partitions: number[]): void {
  const bad = partitions.find((p) => !Number.isSafeInteger(p) || p < 0);
  if (bad !== undefined) throw invalidField(field, bad, "partition numbers of 0 or more");
}

/** A value of a protobuf enum: unknown numbers decode as themselves and must be refused. */
export function validateEnum(field: string, value: number, values: Record<string, number>): void {
  if (!Object.values(values).includes(value)) {
    const names = Object.entries(values).map(([name, n]) => `${name} (${n})`);
    throw invalidField(field, value, `one of ${names.join(", ")}`);
  }
}

/** An integer field checked against its range. */
export function validateRange(
  field: string,
  value: number,
  range: { min?: number; max?: number; orZero?: boolean; unit?: string },
): void {
  if (range.orZero && value === 0) return;
  const { min, max } = range;
  const ok =
    Number.isSafeInteger(value) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max);
  if (ok) return;
  const unit = range.unit ? ` ${range.unit}` : "";
  const span =
    min !== undefined && max !== undefined
      ? `from ${min} to ${max}${unit}`
      : min !== undefined
        ? `${min}${unit} or more`
        : `at most ${max}${unit}`;
  throw invalidField(field, value, range.orZero ? `0 or ${span}` : span);
}

/** Unknown enum numbers decode as themselves; an ack policy must be one lb knows. */
export function isAckPolicy(value: number): boolean {
  return Object.values(AckPolicy).includes(value as AckPolicy);
}

export function ackPolicyProblem(value: number): string {
  return `Invalid ackPolicy ${value}: expected LEADER (0), ALL (1) or NONE (2)`;
}
