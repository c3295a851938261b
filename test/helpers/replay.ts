import { connect } from "nats";
import type { FetchPartitionMetadataResponse } from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";
import { call } from "./rpc.js";
import { waitFor } from "./wait.js";

/** Values of more than one 64 KiB chunk, so one message alone fills a chunk now and then. */
export const LARGE_VALUE_BYTES = 70_000;

/**
 * The value of message `i` of a replay test: its index, then filler of varying length, and
 * every 997th one larger than a chunk (test/compat/python_replay.py builds the same).
 */
export function replayValue(i: number): string {
  return `m${i}:${"x".repeat(i % 997 === 0 ? LARGE_VALUE_BYTES : i % 300)}`;
}

/**
 * Publishes `count` messages on core NATS to `subject` (a partition's subject), values from
 * `value`, and waits until the partition has committed them all.
 */
export async function publishOnNats(
  client: ApiClient,
  natsUrl: string,
  target: { stream: string; partition: number; subject: string },
  count: number,
  value: (i: number) => string | Uint8Array = replayValue,
): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    for (let i = 0; i < count; i++) {
      const v = value(i);
      nc.publish(target.subject, typeof v === "string" ? new TextEncoder().encode(v) : v);
    }
    await nc.flush();
  } finally {
    await nc.close();
  }
  await waitFor(
    async () => {
      const res = await call<unknown, FetchPartitionMetadataResponse>(
        client,
        "fetchPartitionMetadata",
        { stream: target.stream, partition: target.partition },
      );
      return res.metadata?.highWatermark === count - 1;
    },
    { timeoutMs: 30_000, message: `the partition to commit ${count} messages` },
  );
}
