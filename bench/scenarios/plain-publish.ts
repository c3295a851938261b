import type { NatsConnection } from "nats";
import { runFlowControlled } from "../drivers.js";
import { type JetStreamSystem, type LbSystem, storedCount } from "../systems.js";

/** Messages a plain publisher may be ahead of what the stream stored (keeps NATS from dropping). */
const PLAIN_PUBLISH_WINDOW = 100_000;

/**
 * Publishes `count` plain NATS messages (no envelope) on `subject` and resolves, with the
 * seconds it took, once `stored` reports all of them.
 */
export function publishPlain(
  nc: NatsConnection,
  subject: string,
  value: Uint8Array,
  count: number,
  stored: () => Promise<number>,
): Promise<number> {
  const startCount = stored();
  return startCount.then((already) =>
    runFlowControlled(
      count,
      PLAIN_PUBLISH_WINDOW,
      () => nc.publish(subject, value),
      () => nc.flush(),
      async () => (await stored()) - already,
    ),
  );
}

/** Stores `count` messages in a stream of lb or JetStream through plain NATS publishes. */
export function fillStream(
  system: LbSystem | JetStreamSystem,
  stream: string,
  value: Uint8Array,
  count: number,
): Promise<number> {
  return publishPlain(system.nc, stream, value, count, () => storedCount(system, stream));
}
