import { type Ack, ackPartition, type Message } from "../client/index.js";
import { ActivityStreamOp, decodeActivityStreamEvent } from "../wire/api.js";
import { bytesToJson, type JsonBytes } from "./bytes-json.js";
import { formatTimestampNanos } from "./time.js";

export interface MessageJson {
  stream: string;
  partition: number;
  offset: number;
  /** RFC 3339, nanosecond precision. */
  timestamp: string;
  /** The same instant as nanoseconds since the epoch, a decimal string. */
  timestampNs: string;
  subject: string;
  key: JsonBytes | null;
  value: JsonBytes;
  headers: Record<string, JsonBytes>;
  /** On the `__activity` stream: the decoded ActivityStreamEvent. */
  event?: ActivityEventJson;
}

type ActivityEventJson = Record<string, unknown> & { id: number; op: string };

/** An ActivityStreamEvent as JSON: the op by name, and only the op's own details. */
function activityEventToJson(value: Uint8Array): ActivityEventJson | undefined {
  try {
    const event = decodeActivityStreamEvent(value);
    const op = Object.entries(ActivityStreamOp).find(([, code]) => code === event.op)?.[0];
    const details = Object.fromEntries(
      Object.entries(event).filter(
        ([key, v]) => key.endsWith("Op") && key !== "op" && v !== undefined,
      ),
    );
    return { id: event.id, op: op ?? String(event.op), ...details };
  } catch {
    return undefined;
  }
}

/** The one-line JSON form of a consumed message (`lb sub --json`). */
export function messageToJson(message: Message): MessageJson {
  const headers: Record<string, JsonBytes> = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name] = bytesToJson(value);
  return {
    stream: message.stream,
    partition: message.partition,
    offset: message.offset,
    timestamp: formatTimestampNanos(message.timestamp),
    timestampNs: message.timestamp.toString(),
    subject: message.subject,
    key: message.key.length > 0 ? bytesToJson(message.key) : null,
    value: bytesToJson(message.value),
    headers,
    event: message.stream === "__activity" ? activityEventToJson(message.value) : undefined,
  };
}

export interface AckJson {
  stream: string;
  partition: number;
  offset: number;
  subject: string;
  correlationId: string;
}

/** The one-line JSON form of a publish ack (`lb pub --json`). */
export function ackToJson(ack: Ack): AckJson {
  return {
    stream: ack.stream,
    partition: ackPartition(ack),
    offset: ack.offset,
    subject: ack.msgSubject,
    correlationId: ack.correlationId,
  };
}
