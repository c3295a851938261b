import type { StoredRecord } from "../../src/server/log/index.js";

/** Stored records as plain values with text bodies, for deepEqual against expectations. */
export function plainRecords(records: StoredRecord[]) {
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    leaderEpoch: r.leaderEpoch,
    body: Buffer.from(r.body).toString(),
  }));
}
