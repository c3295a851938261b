import type { Ack } from "../wire/api.js";

/** The NATS subject a stream partition reads: the stream's subject for 0, "subject.p" after. */
export function partitionSubject(streamSubject: string, partition: number): string {
  return partition === 0 ? streamSubject : `${streamSubject}.${partition}`;
}

/**
 * The partition an ack is for, from its subjects (Ack carries no partition number): msgSubject
 * has the stream subject's tokens for partition 0 and one more, the number, for partition p.
 * Token counts rather than text are compared so that wildcard stream subjects work too.
 */
export function ackPartition(ack: Ack): number {
  const streamTokens = ack.partitionSubject.split(".").length;
  const messageTokens = ack.msgSubject.split(".");
  const last = messageTokens[messageTokens.length - 1]!;
  return messageTokens.length === streamTokens + 1 && /^\d+$/.test(last) ? Number(last) : 0;
}
