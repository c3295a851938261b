import type { Msg } from "nats";
import { AckPolicy, decodeMessage, encodeMessage, type Message } from "../../wire/api.js";
import { decodeEnvelope, ENVELOPE_MAGIC, MsgType } from "../../wire/envelope.js";
import type { FramedRecordsBuilder } from "../log/index.js";
import { type RawSubjects, rawSubjects } from "../nats/raw-subjects.js";

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
/**
 * What a partition records: a NATS message as nats.js delivers it, or an envelope its own broker
 * published and records in-process (Partition.recordLocal).
 */
export type ReceivedMessage = Pick<Msg, "subject" | "reply" | "data" | "headers">;

/** What a Publish envelope carries that the record and its ack are made of. */
export type PublishedFields = Pick<
  Message,
  "key" | "value" | "headers" | "ackInbox" | "correlationId" | "ackPolicy" | "offset"
>;

/**
 * `published`, when given, is what the envelope in `msg` decodes to (its broker built it from
 * these fields), sparing a decode of what was just encoded.
 */
export function ingest(msg: ReceivedMessage, published?: PublishedFields): IngestedMessage {
  const reply = msg.reply ?? "";
  const fields = published ?? publishedIn(msg.data);
  if (fields) {
    const headers = { ...fields.headers, ...locationHeaders(msg.subject, reply) };
    const body = encodeMessage({
      key: fields.key,
      value: fields.value,
      subject: msg.subject,
      replySubject: reply,
      headers,
      ackInbox: fields.ackInbox,
      correlationId: fields.correlationId,
      ackPolicy: fields.ackPolicy,
    });
    const wantsAck = fields.ackInbox !== "" && fields.ackPolicy !== AckPolicy.NONE;
    return {
      body,
      expectedOffset: fields.offset,
      ackPolicy: fields.ackPolicy,
      ack: wantsAck
        ? {
            ackInbox: fields.ackInbox,
            correlationId: fields.correlationId,
            ackPolicy: fields.ackPolicy,
            msgSubject: msg.subject,
          }
        : undefined,
    };
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

/** Protobuf tag of `Message.value` (field 3, length-delimited). */
const VALUE_TAG = 0x1a;
const TAIL_CACHE_LIMIT = 1024;

/**
 * The fast path for the common case, a plain message without NATS headers: its record body is
 * the `value` field followed by bytes that depend only on the subject and reply subject (the
 * fields `subject` and `replySubject` and the headers `subject` and `reply`), which are cached.
 * The body is written straight into the batch, byte for byte what `ingest` would produce.
 */
export class PlainRecorder {
  private lastSubject?: Uint8Array;
  private lastReply?: Uint8Array;
  private lastTail?: Uint8Array;
  private readonly tails = new Map<string, Uint8Array>();

  /** Records `msg` into `records` and returns true, or returns false if it is not such a message. */
  record(msg: ReceivedMessage, records: FramedRecordsBuilder): boolean {
    const value = msg.data;
    if (value.length > 0 && value[0] === ENVELOPE_MAGIC[0]) return false;
    if (msg.headers) return false;
    const tail = this.tailOf(msg);
    const length = value.length;
    const lengthBytes =
      length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5;
    const valueField = length > 0 ? 1 + lengthBytes + length : 0;
    let at = records.reserve(valueField + tail.length);
    const bytes = records.bytes;
    if (length > 0) {
      bytes[at++] = VALUE_TAG;
      let rest = length;
      while (rest > 0x7f) {
        bytes[at++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      bytes[at++] = rest;
      bytes.set(value, at);
      at += length;
    }
    bytes.set(tail, at);
    return true;
  }

  private tailOf(msg: ReceivedMessage): Uint8Array {
    const raw = rawSubjects(msg);
    if (raw && this.lastTail && this.isLast(raw)) return this.lastTail;
    const subject = msg.subject;
    const reply = msg.reply ?? "";
    const key = `${subject} ${reply}`;
    let tail = this.tails.get(key);
    if (!tail) {
      if (this.tails.size >= TAIL_CACHE_LIMIT) this.tails.clear();
      const headers = locationHeaders(subject, reply);
      tail = Uint8Array.from(encodeMessage({ subject, replySubject: reply, headers }));
      this.tails.set(key, tail);
    }
    if (raw) {
      this.lastSubject = raw.subject.slice();
      this.lastReply = raw.reply?.slice();
      this.lastTail = tail;
    }
    return tail;
  }

  private isLast(raw: RawSubjects): boolean {
    return sameBytes(raw.subject, this.lastSubject) && sameBytes(raw.reply, this.lastReply);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const length = a?.length ?? 0;
  if (length !== (b?.length ?? 0)) return false;
  for (let i = 0; i < length; i++) if (a![i] !== b![i]) return false;
  return true;
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

function publishedIn(data: Uint8Array): PublishedFields | undefined {
  const envelope = decodeEnvelope(data);
  return envelope?.type === MsgType.Publish ? tryDecodeMessage(envelope.payload) : undefined;
}

function tryDecodeMessage(payload: Uint8Array) {
  try {
    return decodeMessage(payload);
  } catch {
    return undefined;
  }
}
