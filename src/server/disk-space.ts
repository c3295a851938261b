import { randomFillSync } from "node:crypto";
import { open, rename, statfs, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  DATA_FILE_MODE,
  type LogFile,
  type LogFileSystem,
  type OpenMode,
} from "./log/file-system.js";
import type { Logger } from "./logger.js";

/** The reserve: 4 MiB, or a sixteenth of a smaller file system. */
const MAX_RESERVE_BYTES = 4 << 20;
const PAGE_BYTES = 4096;
/** How often free space is checked while the disk is full. */
const CHECK_MS = 1000;
const RESERVE_FILE = ".reserve";

/**
 * Room kept for the metadata log on a full disk. At start the broker writes `<data>/.reserve`
 * (when space allows). When a metadata log write fails with ENOSPC, the log deletes it and
 * writes again: the disk is then "full" here, partition data writes and stream creation are
 * refused (the freed room is for the metadata log, so that DeleteStream, elections and ISR
 * changes still commit), and free space is checked every second. Once twice the reserve is
 * free again, the reserve is written back and the disk is no longer full.
 */
export class DiskSpace {
  private held = false;
  private timer?: NodeJS.Timeout;
  private checking = false;
  private closed = false;

  private constructor(
    private readonly dir: string,
    readonly reserveBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Creates (or finds) the reserve; never fails for lack of space, the disk is then full. */
  static async open(dir: string, logger: Logger): Promise<DiskSpace> {
    const stats = await statfs(dir).catch(() => undefined);
    const total = stats ? stats.blocks * stats.bsize : 16 * MAX_RESERVE_BYTES;
    const bytes = Math.max(
      PAGE_BYTES,
      Math.min(MAX_RESERVE_BYTES, Math.floor(total / 16 / PAGE_BYTES) * PAGE_BYTES),
    );
    const space = new DiskSpace(dir, bytes, logger);
    const size = await open(space.path, "r")
      .then(async (handle) => {
        try {
          return (await handle.stat()).size;
        } finally {
          await handle.close();
        }
      })
      .catch(() => -1);
    if (size === bytes) space.held = true;
    else if (size >= 0) await unlink(space.path); // sized for another file system
    if (!space.held && !(await space.createReserve())) {
      logger.warn("no space for the disk reserve: partition writes are refused until there is", {
        dir,
        reserveBytes: bytes,
      });
      space.watch();
    }
    return space;
  }

  /**
   * Deletes `<dir>/.reserve` before a DiskSpace is open (a start-up write that must succeed,
   * such as the lock file, found the disk full); true if there was one.
   */
  static async releaseAtStart(dir: string): Promise<boolean> {
    try {
      await unlink(join(dir, RESERVE_FILE));
      return true;
    } catch {
      return false;
    }
  }

  get path(): string {
    return join(this.dir, RESERVE_FILE);
  }

  /** True while the reserve is released: partition writes are refused, CreateStream too. */
  get full(): boolean {
    return !this.held;
  }

  /**
   * A write failed with ENOSPC: deletes the reserve (if held) and watches for space.
   * Resolves true when this call freed room (the failed write may be retried).
   */
  async release(reason: string): Promise<boolean> {
    if (!this.held) return false;
    this.held = false;
    try {
      await unlink(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.logger.error(
      "the disk is full: released the disk reserve for the metadata log; partition writes and stream creation are refused until space is freed (delete streams)",
      { reason, dir: this.dir, reserveBytes: this.reserveBytes },
    );
    this.watch();
    return true;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private watch(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.check(), CHECK_MS);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.checking || this.held) return;
    this.checking = true;
    try {
      const stats = await statfs(this.dir);
      if (stats.bavail * stats.bsize < 2 * this.reserveBytes) return;
      if (!(await this.createReserve())) return;
      clearInterval(this.timer);
      this.timer = undefined;
      this.logger.info("disk space is back: the disk reserve is restored, writes are accepted", {
        dir: this.dir,
      });
    } catch (err) {
      this.logger.warn("could not check the free disk space", { dir: this.dir, error: err });
    } finally {
      this.checking = false;
    }
  }

  /** Writes the reserve with incompressible bytes; false (and nothing left) when it does not fit. */
  private async createReserve(): Promise<boolean> {
    const temp = `${this.path}.tmp`;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(temp, "w", DATA_FILE_MODE);
      const chunk = Buffer.alloc(1 << 16);
      for (let at = 0; at < this.reserveBytes; at += chunk.length) {
        const length = Math.min(chunk.length, this.reserveBytes - at);
        randomFillSync(chunk, 0, length);
        await handle.write(chunk, 0, length, at);
      }
      await handle.close();
      handle = undefined;
      await rename(temp, this.path);
      this.held = true;
      return true;
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (isNoSpace(err)) return false;
      throw err;
    }
  }
}

export function isNoSpace(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as never) {
    if (e.code === "ENOSPC" || e.code === "EDQUOT") return true;
  }
  return false;
}

function noSpace(path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `ENOSPC: no space left on device (the disk reserve is released; its room is kept for the metadata log), write '${path}'`,
  );
  err.code = "ENOSPC";
  err.errno = -28;
  err.syscall = "write";
  err.path = path;
  return err;
}

/**
 * The commit logs' file system as the broker uses it: while the disk is full (the reserve is
 * released), writes are refused with ENOSPC, so that the room the reserve freed stays for the
 * metadata log.
 */
export function spaceAwareFileSystem(inner: LogFileSystem, space: DiskSpace): LogFileSystem {
  return {
    open: async (path: string, mode: OpenMode) => {
      const file = await inner.open(path, mode);
      const { writeNow } = file;
      const guarded: LogFile = {
        read: (target, at, length, position) => file.read(target, at, length, position),
        write: (source, at, length, position) =>
          space.full ? Promise.reject(noSpace(path)) : file.write(source, at, length, position),
        truncate: (size) => file.truncate(size),
        datasync: () => file.datasync(),
        size: () => file.size(),
        close: () => file.close(),
      };
      if (writeNow) {
        guarded.writeNow = (source, at, length, position) => {
          if (space.full) throw noSpace(path);
          return writeNow.call(file, source, at, length, position);
        };
      }
      return guarded;
    },
    readdir: (dir) => inner.readdir(dir),
    mkdir: (dir) => inner.mkdir(dir),
    unlink: (path) => inner.unlink(path),
    rename: (from, to) => inner.rename(from, to),
    syncDirectory: (dir) => inner.syncDirectory(dir),
    sizeOf: (path) => inner.sizeOf(path),
    removeAll: (dir) => inner.removeAll(dir),
    // Reads need no room.
    ...(inner.readFileNow ? { readFileNow: (path: string) => inner.readFileNow!(path) } : {}),
  };
}
