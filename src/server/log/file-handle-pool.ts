import type { LogFile, LogFileSystem, OpenMode } from "./file-system.js";

/** What a pool did, for tests and benchmarks. */
export interface FileHandlePoolStats {
  /** Descriptors open now (a few over `capacity` while every one is in use). */
  open: number;
  capacity: number;
  /** Files opened again after their descriptor was closed for room. */
  reopens: number;
  /** Descriptors closed for room. */
  evictions: number;
}

/**
 * A bound on the descriptors that many commit logs keep open, shared by all of them (one per
 * broker): a file whose descriptor has not been used for the longest is closed when another
 * needs room, and opened again, by its path, when it is used next. An idle partition thus costs
 * no descriptor, and the broker stays within its open-file limit however many partitions it
 * holds.
 *
 * A descriptor is closed only while no operation uses it. Closing one loses nothing: written
 * bytes are in the page cache either way, and a file closed with writes not yet synced stays
 * marked so, so the next `datasync` the log's sync policy makes (before an ack with `always`,
 * on the timer with `interval`) opens it again and flushes them; Linux reports a writeback
 * error no one has seen yet to an fsync on a descriptor opened after it. A file with nothing
 * written since its last sync is not reopened just to be synced.
 *
 * Files are reopened by path, so a path must keep naming the same file while it is open:
 * `rename` and `unlink` through the pooled file system first pin the files they replace or
 * remove (opening them again if needed), which then keep their descriptors until closed.
 */
export class FileHandlePool {
  /** Descriptors counted against the capacity. */
  private openCount = 0;
  /** Descriptors of pinned files: outside the capacity, or they could wait for each other. */
  private pinnedCount = 0;
  /** Open, unused descriptors, least recently used first (Map keeps insertion order). */
  private readonly idle = new Map<PooledFile, number>();
  private readonly waiters: (() => void)[] = [];
  private reopens = 0;
  private evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity is ${String(capacity)}, expected an integer >= 1`);
    }
  }

  get stats(): FileHandlePoolStats {
    return {
      open: this.openCount + this.pinnedCount,
      capacity: this.capacity,
      reopens: this.reopens,
      evictions: this.evictions,
    };
  }

  /**
   * Waits for room for one more descriptor, closing the least recently used idle one. Only
   * descriptors in use are ever waited for, and each is used by one operation at a time, so
   * the wait ends. A pinned file's descriptor is taken at once, outside the capacity.
   */
  async reserve(pinned = false): Promise<void> {
    if (pinned) {
      this.pinnedCount++;
      return;
    }
    for (;;) {
      if (this.openCount < this.capacity) {
        this.openCount++;
        return;
      }
      const victim = this.idle.keys().next().value as PooledFile | undefined;
      if (victim) {
        this.idle.delete(victim);
        this.evictions++;
        await victim.evict();
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A descriptor was closed (or never opened after `reserve`). */
  freed(pinned: boolean): void {
    if (pinned) this.pinnedCount--;
    else this.openCount--;
    this.wake();
  }

  /** An open descriptor's file was pinned: its slot leaves the capacity. */
  pinnedNow(file: PooledFile): void {
    this.idle.delete(file);
    this.openCount--;
    this.pinnedCount++;
    this.wake();
  }

  /** The file's descriptor is open and unused: it may be closed for room from now on. */
  idleNow(file: PooledFile): void {
    this.idle.delete(file);
    this.idle.set(file, Date.now());
    this.wake();
  }

  /** The file's descriptor is in use, pinned, or closed: it must not be chosen. */
  busy(file: PooledFile): void {
    this.idle.delete(file);
  }

  /** Marks an idle descriptor most recently used. */
  touch(file: PooledFile): void {
    if (this.idle.delete(file)) this.idle.set(file, Date.now());
  }

  /** Closes the descriptors unused for at least `maxIdleMs`: an idle partition holds none. */
  async closeIdle(maxIdleMs: number, nowMs = Date.now()): Promise<number> {
    const victims: PooledFile[] = [];
    for (const [file, since] of this.idle) {
      if (nowMs - since < maxIdleMs) break;
      victims.push(file);
    }
    for (const file of victims) this.idle.delete(file);
    this.evictions += victims.length;
    await Promise.all(victims.map((file) => file.evict()));
    return victims.length;
  }

  countReopen(): void {
    this.reopens++;
  }

  private wake(): void {
    this.waiters.shift()?.();
  }
}

/** The mode a file is opened again in: it exists by then and must not be emptied or made. */
function reopenMode(mode: OpenMode): OpenMode {
  return mode === "read" ? "read" : "update";
}

/**
 * A file of a pooled file system: its descriptor comes and goes (see FileHandlePool); every
 * operation holds it open while it runs.
 */
class PooledFile implements LogFile {
  private handle?: LogFile;
  private opening?: Promise<void>;
  private evicting?: Promise<void>;
  private users = 0;
  /** Written or truncated since its last datasync (a file just created or emptied is too). */
  private dirty: boolean;
  /** The path no longer names this file (renamed over or removed): never closed for room. */
  private pinned = false;
  /** The open descriptor is counted as a pinned one (see FileHandlePool.reserve). */
  private slotPinned = false;
  private closed = false;

  constructor(
    private readonly pool: FileHandlePool,
    private readonly files: PooledFiles,
    public path: string,
    private readonly mode: OpenMode,
    handle: LogFile,
  ) {
    this.handle = handle;
    this.dirty = mode !== "read" && mode !== "update";
  }

  /** Opens the file the first time; the descriptor counts against the pool from then on. */
  static async open(
    pool: FileHandlePool,
    files: PooledFiles,
    inner: LogFileSystem,
    path: string,
    mode: OpenMode,
  ): Promise<PooledFile> {
    await pool.reserve();
    let handle: LogFile;
    try {
      handle = await inner.open(path, mode);
    } catch (err) {
      pool.freed(false);
      throw err;
    }
    const file = new PooledFile(pool, files, path, mode, handle);
    file.withNow = handle.writeNow !== undefined;
    files.add(file);
    pool.idleNow(file);
    return file;
  }

  /** Whether the underlying files offer `writeNow` at all. */
  private withNow = false;

  read(target: Buffer, at: number, length: number, position: number): Promise<number> {
    return this.use((h) => h.read(target, at, length, position));
  }

  write(source: Buffer, at: number, length: number, position: number): Promise<number> {
    return this.use((h) => {
      this.dirty = true;
      return h.write(source, at, length, position);
    });
  }

  /** Present only while the descriptor is open (see LogFile.writeNow). */
  get writeNow(): LogFile["writeNow"] {
    const handle = this.handle;
    if (!this.withNow || !handle?.writeNow || this.evicting || this.closed) return undefined;
    return (source, at, length, position) => {
      this.dirty = true;
      this.pool.touch(this);
      return handle.writeNow!(source, at, length, position);
    };
  }

  truncate(size: number): Promise<void> {
    return this.use((h) => {
      this.dirty = true;
      return h.truncate(size);
    });
  }

  async datasync(): Promise<void> {
    // Nothing written through this file since it was last synced: there is nothing to flush.
    if (!this.dirty) return;
    await this.use(async (h) => {
      this.dirty = false;
      try {
        await h.datasync();
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
  }

  size(): Promise<number> {
    return this.use((h) => h.size());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.files.remove(this);
    this.pool.busy(this);
    await this.evicting;
    await this.opening?.catch(() => undefined);
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      await handle.close();
    } finally {
      this.pool.freed(this.slotPinned);
      this.slotPinned = false;
    }
  }

  /** Keeps the descriptor open until the file is closed: its path is about to name another. */
  async pin(): Promise<void> {
    this.pinned = true;
    this.pool.busy(this);
    await this.use(async () => {});
  }

  /** Called by the pool, which took the file out of its idle list: closes the descriptor. */
  evict(): Promise<void> {
    const handle = this.handle!;
    this.evicting = (async () => {
      try {
        // Not synced here: `dirty` stays set, so the sync the log's policy makes next opens
        // the file again and flushes what was written (see the class comment).
        this.handle = undefined;
        const slotPinned = this.slotPinned;
        this.slotPinned = false;
        try {
          await handle.close();
        } finally {
          this.pool.freed(slotPinned);
        }
      } finally {
        this.evicting = undefined;
      }
    })();
    return this.evicting;
  }

  private async use<T>(operation: (handle: LogFile) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`${this.path}: the file is closed`);
    this.users++;
    this.pool.busy(this);
    try {
      for (;;) {
        if (this.evicting) await this.evicting;
        else if (this.handle) break;
        else {
          this.opening ??= this.reopen();
          await this.opening;
        }
        if (this.closed) throw new Error(`${this.path}: the file is closed`);
      }
      if (this.pinned) this.holdPinned();
      return await operation(this.handle!);
    } finally {
      this.users--;
      if (this.users === 0 && this.handle && !this.evicting && !this.pinned && !this.closed) {
        this.pool.idleNow(this);
      }
    }
  }

  /** Moves the open descriptor's slot out of the capacity, once. */
  private holdPinned(): void {
    if (this.slotPinned || !this.handle) return;
    this.slotPinned = true;
    this.pool.pinnedNow(this);
  }

  private async reopen(): Promise<void> {
    try {
      const pinned = this.pinned;
      await this.pool.reserve(pinned);
      try {
        this.handle = await this.files.inner.open(this.path, reopenMode(this.mode));
        this.slotPinned = pinned;
        this.pool.countReopen();
      } catch (err) {
        this.pool.freed(pinned);
        throw err;
      }
    } finally {
      this.opening = undefined;
    }
  }
}

/** The open pooled files by path, so renames and removals can pin the ones they affect. */
class PooledFiles {
  private readonly byPath = new Map<string, Set<PooledFile>>();

  constructor(readonly inner: LogFileSystem) {}

  add(file: PooledFile): void {
    const files = this.byPath.get(file.path);
    if (files) files.add(file);
    else this.byPath.set(file.path, new Set([file]));
  }

  remove(file: PooledFile): void {
    const files = this.byPath.get(file.path);
    files?.delete(file);
    if (files?.size === 0) this.byPath.delete(file.path);
  }

  at(path: string): PooledFile[] {
    return [...(this.byPath.get(path) ?? [])];
  }

  under(dir: string): PooledFile[] {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    return [...this.byPath.entries()]
      .filter(([path]) => path === dir || path.startsWith(prefix))
      .flatMap(([, files]) => [...files]);
  }

  /** The file is now reached at `to`. */
  move(file: PooledFile, to: string): void {
    this.remove(file);
    file.path = to;
    this.add(file);
  }
}

/**
 * `inner` with every file's descriptor drawn from `pool` (see FileHandlePool). Several file
 * systems may share one pool.
 */
export function pooledFileSystem(inner: LogFileSystem, pool: FileHandlePool): LogFileSystem {
  const files = new PooledFiles(inner);
  const pinAll = (list: PooledFile[]) => Promise.all(list.map((f) => f.pin()));
  return {
    open: (path, mode) => PooledFile.open(pool, files, inner, path, mode),
    readdir: (dir) => inner.readdir(dir),
    mkdir: (dir) => inner.mkdir(dir),
    async unlink(path) {
      await pinAll(files.at(path));
      for (const file of files.at(path)) files.remove(file);
      await inner.unlink(path);
    },
    async rename(from, to) {
      const replaced = files.at(to);
      const moved = files.at(from);
      await pinAll(replaced);
      await inner.rename(from, to);
      for (const file of replaced) files.remove(file);
      for (const file of moved) files.move(file, to);
    },
    syncDirectory: (dir) => inner.syncDirectory(dir),
    sizeOf: (path) => inner.sizeOf(path),
    // Opens and closes its descriptor within the call: nothing for the pool to track.
    ...(inner.readFileNow ? { readFileNow: (path: string) => inner.readFileNow!(path) } : {}),
    async removeAll(dir) {
      const gone = files.under(dir);
      await pinAll(gone);
      for (const file of gone) files.remove(file);
      await inner.removeAll(dir);
    },
  };
}
