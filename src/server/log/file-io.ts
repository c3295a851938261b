import { dirname } from "node:path";
import type { LogFile, LogFileSystem } from "./file-system.js";

/**
 * Reads `length` bytes at `position` into `target[at..]`, looping over short reads.
 * Returns the number of bytes read, less than `length` only at end of file.
 */
export async function readAt(
  file: LogFile,
  target: Buffer,
  at: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const bytesRead = await file.read(target, at + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `source` at `position`, looping over short writes. */
export async function writeAt(file: LogFile, source: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < source.length) {
    const bytesWritten = await file.write(source, done, source.length - done, position + done);
    if (bytesWritten === 0)
      throw new Error(`write at position ${position + done} made no progress`);
    done += bytesWritten;
  }
}

/**
 * Writes all of `source` at `position` synchronously when the file offers it (see
 * LogFile.writeNow); false, having written nothing, when it does not.
 */
export function writeAtNow(file: LogFile, source: Buffer, position: number): boolean {
  if (!file.writeNow) return false;
  let done = 0;
  while (done < source.length) {
    const bytesWritten = file.writeNow(source, done, source.length - done, position + done);
    if (bytesWritten === 0)
      throw new Error(`write at position ${position + done} made no progress`);
    done += bytesWritten;
  }
  return true;
}

/** The whole contents of the file at `path`, or undefined if there is none. */
export async function readWholeFile(fs: LogFileSystem, path: string): Promise<Buffer | undefined> {
  if (fs.readFileNow) return fs.readFileNow(path);
  let file: LogFile;
  try {
    file = await fs.open(path, "read");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const size = await file.size();
    const bytes = Buffer.allocUnsafe(size);
    return bytes.subarray(0, await readAt(file, bytes, 0, size, 0));
  } finally {
    await file.close();
  }
}

/** Writes `bytes` to a new file at `path` (replacing any) and syncs it. Not atomic. */
export async function writeWholeFile(
  fs: LogFileSystem,
  path: string,
  bytes: Buffer,
): Promise<void> {
  const file = await fs.open(path, "replace");
  try {
    await writeAt(file, bytes, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/**
 * Replaces the file at `path` with `bytes` so that after a crash it holds either the old or
 * the new contents, completely: write a temporary file, fsync it, rename it over `path`, fsync
 * the directory.
 */
export async function writeFileAtomic(
  fs: LogFileSystem,
  path: string,
  bytes: Buffer,
): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeWholeFile(fs, temporary, bytes);
  await fs.rename(temporary, path);
  await fs.syncDirectory(dirname(path));
}
