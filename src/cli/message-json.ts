import { type Ack, ackPartition, type Message } from "../client/index.js";
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
