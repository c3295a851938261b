import { type FileHandle, open } from "node:fs/promises";

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
