/** The subject and reply bytes of a received message, as nats.js parsed them. */
export interface RawSubjects {
  readonly subject: Uint8Array;
  readonly reply?: Uint8Array;
}

/**
 * The bytes behind `msg.subject` and `msg.reply`, when nats.js exposes them (its MsgImpl keeps
 * the parsed protocol arguments in `_msg`); undefined otherwise, and callers then use the
 * strings. Reading `msg.subject` decodes the bytes with a TextDecoder on every message, which
 * showed up in profiles of plain NATS ingestion; comparing the bytes with the last subject
 * seen costs a fraction of that. The views are valid only during the subscription callback.
 */
export function rawSubjects(msg: object): RawSubjects | undefined {
  const raw = (msg as { _msg?: { subject?: unknown; reply?: unknown } })._msg;
  if (!raw || !(raw.subject instanceof Uint8Array)) return undefined;
  if (raw.reply !== undefined && !(raw.reply instanceof Uint8Array)) return undefined;
  return raw as RawSubjects;
}
