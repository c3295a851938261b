import { headers, type MsgHdrs } from "nats";
import type { Ack } from "../../wire/api.js";

/**
 * Why a leader refused a message, beyond what an Ack can say (it has no field for it: the
 * wire format is upstream's). It travels as a NATS header on the ack message, which upstream
 * clients ignore, and in this process beside the Ack object.
 *
 * - `noSpace`: the leader's disk is full (ENOSPC).
 */
export type AckReason = "noSpace";

const HEADER = "Lb-Ack-Reason";
const REASONS: readonly AckReason[] = ["noSpace"];
const reasons = new WeakMap<Ack, AckReason>();

export function setAckReason(ack: Ack, reason: AckReason | undefined): void {
  if (reason) reasons.set(ack, reason);
}

export function ackReason(ack: Ack): AckReason | undefined {
  return reasons.get(ack);
}

export function ackReasonHeaders(reason: AckReason | undefined): MsgHdrs | undefined {
  if (!reason) return undefined;
  const h = headers();
  h.set(HEADER, reason);
  return h;
}

/** The reason a received ack message carries; anything unknown is ignored. */
export function ackReasonFrom(h: MsgHdrs | undefined): AckReason | undefined {
  const value = h?.get(HEADER);
  return REASONS.find((reason) => reason === value);
}
