import type { NatsConnection, Subscription } from "nats";
import { type Ack, decodeAck } from "../../wire/api.js";
import { decodeEnvelope, MsgType } from "../../wire/envelope.js";
import { ackReasonFrom, setAckReason } from "../partition/ack-reason.js";

type AckHandler = (ack: Ack) => void;

/**
 * Receives the envelope acks that partition leaders publish for messages this broker sent
 * on behalf of gRPC clients. One wildcard subscription serves every Publish call and every
 * PublishAsync session; each gets its own inbox under the router's prefix.
 */
export class AckRouter {
  private readonly handlers = new Map<string, AckHandler>();
  private readonly subscription: Subscription;
  private sequence = 0;
  private readonly inboxPrefix: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {
    this.inboxPrefix = `${prefix}.`;
    this.subscription = nc.subscribe(`${prefix}.>`, {
      callback: (err, msg) => {
        if (err) return;
        const handler = this.handlers.get(msg.subject);
        const ack = handler ? decodeAckEnvelope(msg.data) : undefined;
        if (ack) setAckReason(ack, ackReasonFrom(msg.headers));
        if (handler && ack) handler(ack);
      },
    });
  }

  /** A fresh inbox whose acks go to `handler` until `release` is called. */
  register(handler: AckHandler): { inbox: string; release: () => void } {
    const inbox = `${this.prefix}.${(++this.sequence).toString(36)}`;
    this.handlers.set(inbox, handler);
    return { inbox, release: () => this.handlers.delete(inbox) };
  }

  /**
   * Hands an ack for one of our inboxes straight to its handler, sparing a round trip through
   * the NATS server when this broker leads the partition. False for any other inbox: the
   * caller publishes it. Nobody else subscribes under the prefix, so nothing else would see it.
   */
  deliverLocally(inbox: string, ack: Ack): boolean {
    if (!inbox.startsWith(this.inboxPrefix)) return false;
    this.handlers.get(inbox)?.(ack);
    return true;
  }

  /** Waits for the first ack `accepts` takes on an inbox the caller chose (not under our prefix). */
  async once(
    inbox: string,
    signal: AbortSignal,
    accepts: (ack: Ack) => boolean = () => true,
  ): Promise<Ack | undefined> {
    const sub = this.nc.subscribe(inbox);
    const onAbort = () => sub.unsubscribe();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const msg of sub) {
        const ack = decodeAckEnvelope(msg.data);
        if (ack) setAckReason(ack, ackReasonFrom(msg.headers));
        if (ack && accepts(ack)) return ack;
      }
      return undefined;
    } finally {
      sub.unsubscribe();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Resolves when the subscription is known to the NATS server. */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  close(): void {
    this.subscription.unsubscribe();
    this.handlers.clear();
  }
}

export function decodeAckEnvelope(data: Uint8Array): Ack | undefined {
  const envelope = decodeEnvelope(data);
  if (envelope?.type !== MsgType.Ack) return undefined;
  try {
    return decodeAck(envelope.payload);
  } catch {
    return undefined;
  }
}
