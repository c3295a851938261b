import type { LiftbridgeClient } from "../client/index.js";
import { LbError } from "../client/index.js";

export interface PartitionRow {
  stream: string;
  partition: number;
  paused: boolean;
  readonly: boolean;
}

/** The flags of the given partitions (all when empty) after a change, one row each. */
export async function partitionRows(
  client: LiftbridgeClient,
  stream: string,
  partitions: number[],
): Promise<PartitionRow[]> {
  const info = (await client.fetchMetadata([stream])).stream(stream);
  if (!info)
    throw new LbError("not_found", `stream "${stream}" not found`, { hint: "see: lb stream list" });
  const ids = partitions.length ? partitions : info.partitions.map((p) => p.id);
  return ids.map((id) => {
    const p = info.partitions.find((x) => x.id === id);
    return { stream, partition: id, paused: p?.paused ?? false, readonly: p?.readonly ?? false };
  });
}
