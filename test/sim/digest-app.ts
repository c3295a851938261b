import type { Entry, Snapshot } from "../../src/server/raft/index.js";
import { crc32c } from "../../src/wire/crc32c.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The simulated application: it folds every applied entry into a running CRC-32C, so the
 * digest at index i fingerprints the whole committed prefix 1..i. Two nodes that applied
 * different entries anywhere up to i disagree on the digest at i.
 */
export class DigestApp {
  constructor(
    public index: number,
    public digest: number,
  ) {}

  static fromSnapshot(snapshot: Snapshot): DigestApp {
    if (snapshot.data.length === 0) return new DigestApp(snapshot.metadata.index, 0);
    const state = JSON.parse(decoder.decode(snapshot.data)) as { index: number; digest: number };
    if (state.index !== snapshot.metadata.index) {
      throw new Error(
        `snapshot at index ${snapshot.metadata.index} holds application state of index ${state.index}`,
      );
    }
    return new DigestApp(state.index, state.digest);
  }

  apply(entry: Entry): void {
    if (entry.index !== this.index + 1) {
      throw new Error(
        `applied index ${entry.index} right after ${this.index}: entries skipped or repeated`,
      );
    }
    const head = encoder.encode(`${entry.index}/${entry.term}/${entry.kind}/`);
    this.digest = crc32c(entry.data, crc32c(head, this.digest));
    this.index = entry.index;
  }

  snapshotData(): Uint8Array {
    return encoder.encode(JSON.stringify({ index: this.index, digest: this.digest }));
  }
}
