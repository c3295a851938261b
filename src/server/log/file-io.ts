import { type FileHandle, open } from "node:fs/promises";

/**
 * Reads `length` bytes at `position` into `target[at..]`, looping over short reads.
 * Returns the number of bytes read, less than `length` only at end of file.
 */
export async function readAt(
  file: FileHandle,
  target: Buffer,
  at: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(target, at + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `source` at `position`, looping over short writes. */
export async function writeAt(file: FileHandle, source: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < source.length) {
    const { bytesWritten } = await file.write(source, done, source.length - done, position + done);
    if (bytesWritten === 0)
      throw new Error(`write at position ${position + done} made no progress`);
    done += bytesWritten;
  }
}

/** Makes a directory's entries (files created or removed in it) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
