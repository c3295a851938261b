import type { LiftbridgeClient } from "../client/index.js";
import { LbError } from "../client/index.js";
import type { Output } from "./output.js";

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

/** Prints the rows: with --json one document {"stream", "partitions": [...]}, else a table showing `flag`. */
export async function printPartitionRows(
  output: Output,
  rows: PartitionRow[],
  flag: "paused" | "readonly",
  json: boolean,
): Promise<void> {
  if (json) {
    output.json({
      stream: rows[0]?.stream,
      partitions: rows.map(({ partition, paused, readonly }) => ({ partition, paused, readonly })),
    });
    return;
  }
  output.table(
    ["STREAM", "PARTITION", flag.toUpperCase()],
    rows.map((r) => [r.stream, String(r.partition), r[flag] ? "yes" : "no"]),
  );
}
