import { constants, readFileSync, writeSync } from "node:fs";
import * as fs from "node:fs/promises";
import { dirname, resolve } from "node:path";

/**
 * Every file operation the commit log performs goes through this interface, so tests can put
 * a fault-injecting implementation (lost unsynced writes, ENOSPC, EIO) underneath a real log.
 */
export interface LogFileSystem {
  open(path: string, mode: OpenMode): Promise<LogFile>;
  /** Entry names of a directory. */
  readdir(dir: string): Promise<string[]>;
  /**
   * Creates a directory and its parents; no error if it exists. Returns the directories it
   * created, outermost first (whose entries in their parents are not durable until synced).
   */
  mkdir(dir: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
  /** Atomically replaces `to` (if present) with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Makes a directory's entries (files created, renamed or removed in it) durable. */
  syncDirectory(dir: string): Promise<void>;
  /** Size in bytes of the file at `path`, or undefined if there is none. */
  sizeOf(path: string): Promise<number | undefined>;
  /** Deletes a directory and everything in it; no error if it does not exist. */
  removeAll(dir: string): Promise<void>;
  /**
   * The whole contents of a small file, read synchronously on the calling thread where the file
   * system offers it; undefined if there is no such file. Opening a log reads several small
   * checkpoint files: one call each instead of four trips through the thread pool (open, stat,
   * read, close) makes start-up of many partitions markedly cheaper.
   */
  readFileNow?(path: string): Buffer | undefined;
}

/**
 * - `read`: read only, the file must exist.
 * - `update`: read and write, the file must exist.
 * - `create`: read and write, created if missing.
 * - `createNew`: read and write, fails with EEXIST if the file exists.
 * - `replace`: read and write, created if missing and emptied if present.
 */
export type OpenMode = "read" | "update" | "create" | "createNew" | "replace";

export interface LogFile {
  /** Reads up to `length` bytes at `position` into `target[at..]`; returns the bytes read. */
  read(target: Buffer, at: number, length: number, position: number): Promise<number>;
  /** Writes up to `length` bytes of `source[at..]` at `position`; returns the bytes written. */
  write(source: Buffer, at: number, length: number, position: number): Promise<number>;
  /**
   * `write` done synchronously on the calling thread, where the file system offers it: a small
   * write into the page cache takes microseconds, and a trip through the libuv thread pool
   * (hand-off, worker wake-up, completion back to the event loop) costs far more.
   */
  writeNow?(source: Buffer, at: number, length: number, position: number): number;
  truncate(size: number): Promise<void>;
  /** Makes the file's contents durable. */
  datasync(): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  update: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT,
  createNew: constants.O_RDWR | constants.O_CREAT | constants.O_EXCL,
  replace: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
};

class NodeFile implements LogFile {
  constructor(private readonly handle: fs.FileHandle) {}

  async read(target: Buffer, at: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(target, at, length, position)).bytesRead;
  }

  async write(source: Buffer, at: number, length: number, position: number): Promise<number> {
    return (await this.handle.write(source, at, length, position)).bytesWritten;
  }

  writeNow(source: Buffer, at: number, length: number, position: number): number {
    return writeSync(this.handle.fd, source, at, length, position);
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Data files and directories are the broker user's only: records may be private. */
export const DATA_FILE_MODE = 0o600;
export const DATA_DIR_MODE = 0o700;

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The real file system. */
export const nodeFileSystem: LogFileSystem = {
  async open(path, mode) {
    return new NodeFile(await fs.open(path, OPEN_FLAGS[mode], DATA_FILE_MODE));
  },
  readdir: (dir) => fs.readdir(dir),
  async mkdir(dir) {
    const first = await fs.mkdir(dir, { recursive: true, mode: DATA_DIR_MODE });
    if (first === undefined) return [];
    const created = [resolve(dir)];
    while (created[0] !== resolve(first)) created.unshift(dirname(created[0]!));
    return created;
  },
  unlink: (path) => fs.unlink(path),
  rename: (from, to) => fs.rename(from, to),
  syncDirectory,
  sizeOf: (path) =>
    fs.stat(path).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw err;
      },
    ),
  removeAll: (dir) => fs.rm(dir, { recursive: true, force: true }),
  readFileNow(path) {
    try {
      return readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  },
};
