import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWindowed, type TimedRun } from "../drivers.js";
import type { Contender, RatioTo } from "./types.js";

const KEY = "fdatasync";

/** Ratio of a row's p99 to the disk's own append + fdatasync p99 measured in the same run. */
export const DISK_SYNC_RATIO: RatioTo = { label: "disk fdatasync", key: KEY };

/**
 * The physical floor of a publish acked only once it is synced: appending one record to a file
 * on the filesystem the brokers' data dirs are on (the temp dir), then fdatasync, one at a time.
 */
export function diskSyncContender(timing: TimedRun): Contender {
  let dir = "";
  let file: FileHandle | undefined;
  const record = Buffer.alloc(timing.messageBytes + 28, 1);
  return {
    system: `disk (${tmpdir()})`,
    client: `append ${record.length} B + fdatasync, one at a time`,
    key: KEY,
    setup: async () => {
      dir = await mkdtemp(join(tmpdir(), "lb-bench-fsync-"));
      file = await open(join(dir, "log"), "a");
    },
    run: () =>
      runWindowed(1, timing, async () => {
        await file!.write(record);
        await file!.datasync();
      }),
    teardown: async () => {
      await file?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
