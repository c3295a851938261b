import type { LiftbridgeClient } from "../client/index.js";
import { UsageError } from "./usage-error.js";

/**
 * Optimistic concurrency needs every message acked: with `--ack-policy none` its broker refuses
 * them, and the CLI would report "sent" for nothing.
 */
export async function refuseUnackedOcc(client: LiftbridgeClient, stream: string): Promise<void> {
  const [description] = (await client.describeStreams([stream])).streams;
  const occ =
    description?.effective.optimisticConcurrencyControl ??
    description?.config.optimisticConcurrencyControl;
  if (occ) {
    throw new UsageError(
      `--ack-policy none: stream "${stream}" uses optimistic concurrency control, whose broker refuses messages without an ack`,
      "use --ack-policy leader or all",
    );
  }
}
