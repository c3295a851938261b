import type { Msg } from "nats";
import { AckPolicy, decodeMessage, encodeMessage } from "../../wire/api.js";
import { decodeEnvelope, MsgType } from "../../wire/envelope.js";

/** What the leader must remember about an incoming message until it commits, to ack it. */
export interface PendingAck {
  ackInbox: string;
  correlationId: string;
  ackPolicy: AckPolicy;
  msgSubject: string;
}

export interface IngestedMessage {
  /** The protobuf Message body as stored: everything but offset, timestamp, stream, partition. */
  body: Uint8Array;
  ack?: PendingAck;
  /** The publisher's ack policy (LEADER for plain NATS messages), acked or not. */
  ackPolicy: AckPolicy;
  /** The offset the publisher expects the message to get (optimistic concurrency); -1: any. */
  expectedOffset: number;
}

const textEncoder = new TextEncoder();

/**
 * Turns a NATS message into the record body the log stores. An envelope carrying a Publish
 * becomes a Liftbridge message (key, value, headers, ack details); anything else, including
 * a malformed envelope, is stored as a plain message whose value is the payload.
 */
export function ingest(msg: Msg): IngestedMessage {
  const reply = msg.reply ?? "";
  const envelope = decodeEnvelope(msg.data);
  if (envelope?.type === MsgType.Publish) {
    const published = tryDecodeMessage(envelope.payload);
    if (published) {
      const headers = { ...published.headers, ...locationHeaders(msg.subject, reply) };
      const body = encodeMessage({
        key: published.key,
        value: published.value,
        subject: msg.subject,
        replySubject: reply,
        headers,
        ackInbox: published.ackInbox,
        correlationId: published.correlationId,
        ackPolicy: published.ackPolicy,
      });
      const wantsAck = published.ackInbox !== "" && published.ackPolicy !== AckPolicy.NONE;
      return {
        body,
        expectedOffset: published.offset,
        ackPolicy: published.ackPolicy,
        ack: wantsAck
          ? {
              ackInbox: published.ackInbox,
              correlationId: published.correlationId,
              ackPolicy: published.ackPolicy,
              msgSubject: msg.subject,
            }
          : undefined,
      };
    }
  }
  const headers: Record<string, Uint8Array> = {};
  if (msg.headers) {
    for (const [key, values] of msg.headers) {
      if (values.length > 0) headers[key] = textEncoder.encode(values[values.length - 1]);
    }
  }
  Object.assign(headers, locationHeaders(msg.subject, reply));
  return {
    body: encodeMessage({ value: msg.data, subject: msg.subject, replySubject: reply, headers }),
    expectedOffset: -1,
    ackPolicy: AckPolicy.LEADER,
  };
}

/**
 * UTF-8 bytes of subjects, cached: a partition sees the same few subjects over and over, and
 * encoding them per message showed up in profiles of plain NATS ingestion. Stored bytes are
 * never modified, so sharing them is safe.
 */
const subjectBytes = new Map<string, Uint8Array>();
const SUBJECT_CACHE_LIMIT = 4096;

function encodeSubject(subject: string): Uint8Array {
  let bytes = subjectBytes.get(subject);
  if (!bytes) {
    if (subjectBytes.size >= SUBJECT_CACHE_LIMIT) subjectBytes.clear();
    bytes = textEncoder.encode(subject);
    subjectBytes.set(subject, bytes);
  }
  return bytes;
}

function locationHeaders(subject: string, reply: string): Record<string, Uint8Array> {
  return { subject: encodeSubject(subject), reply: encodeSubject(reply) };
}

function tryDecodeMessage(payload: Uint8Array) {
  try {
    return decodeMessage(payload);
  } catch {
    return undefined;
  }
}
