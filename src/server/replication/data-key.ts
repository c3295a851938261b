import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically } from "../data-dir.js";
import { PartitionCipher } from "../encryption.js";

/**
 * Every replica of an encrypted partition must hold the same data key, since followers store
 * the sealed values as the leader sent them. The leader hands its wrapped key to followers in
 * the epoch handshake; a follower installs it before it reads anything.
 *
 * The file name and format (base64 of the wrapped key) are those of encryption.ts.
 */
const DATA_KEY_FILE = "data-key";

/** The partition's wrapped data key, or undefined if it has none. */
export async function readWrappedDataKey(partitionDir: string): Promise<Uint8Array | undefined> {
  const text = await readFile(join(partitionDir, DATA_KEY_FILE), "utf8").catch(() => undefined);
  return text === undefined ? undefined : Buffer.from(text, "base64");
}

/**
 * Stores the leader's wrapped data key in the follower's partition directory (unless it is
 * already there) and opens it with the master key. A different key already stored means the
 * replicas disagree; that is an error, never silently replaced.
 */
export async function installWrappedDataKey(
  partitionDir: string,
  wrapped: Uint8Array,
  masterKey: Buffer,
): Promise<PartitionCipher> {
  const existing = await readWrappedDataKey(partitionDir);
  if (existing && !Buffer.from(existing).equals(wrapped)) {
    throw new Error(
      `the data key in ${join(partitionDir, DATA_KEY_FILE)} differs from the partition leader's: the replicas cannot read each other's records`,
    );
  }
  if (!existing) {
    await writeAtomically(
      join(partitionDir, DATA_KEY_FILE),
      Buffer.from(wrapped).toString("base64"),
    );
  }
  return PartitionCipher.open(partitionDir, masterKey);
}
