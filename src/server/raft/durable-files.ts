import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DATA_DIR_MODE } from "../log/file-system.js";

/** Writes all of `source` at `position`, looping over short writes. */
export async function writeAll(
  file: FileHandle,
  source: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < source.length) {
    const { bytesWritten } = await file.write(source, done, source.length - done, position + done);
    if (bytesWritten === 0)
      throw new Error(`write at position ${position + done} made no progress`);
    done += bytesWritten;
  }
}

/** Makes a directory's entries (files created, renamed or removed in it) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `mkdir -p` (mode 0700) whose new directories are durable: each one's parent is synced. */
export async function makeDirectoryDurably(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: DATA_DIR_MODE });
  if (first === undefined) return;
  const created = [resolve(dir)];
  while (created[0] !== resolve(first)) created.unshift(dirname(created[0]!));
  for (const made of created) await syncDirectory(dirname(made));
}
