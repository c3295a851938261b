import { LbError, type LiftbridgeClient, type StreamInfo } from "../client/index.js";

/** The stream, known to have `partition`; a clear not-found otherwise (exit 1). */
export async function requireStreamPartition(
  client: LiftbridgeClient,
  stream: string,
  partition: number,
): Promise<StreamInfo> {
  const info = (await client.fetchMetadata([stream])).stream(stream);
  if (!info) {
    throw new LbError("not_found", `stream "${stream}" not found`, { hint: "see: lb stream list" });
  }
  if (!info.partitions.some((p) => p.id === partition)) {
    const count = info.partitions.length;
    throw new LbError(
      "not_found",
      `stream "${stream}" has no partition ${partition} (it has ${count}: 0 to ${count - 1})`,
      { hint: `see: lb describe ${stream}` },
    );
  }
  return info;
}
