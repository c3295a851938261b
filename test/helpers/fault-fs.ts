import { basename, dirname } from "node:path";
import type { LogFile, LogFileSystem, OpenMode } from "../../src/server/log/file-system.js";

/**
 * An in-memory file system for the commit log that models what survives a crash:
 *
 * - a file's bytes survive only as of its last `datasync`;
 * - a directory's entries (files created, renamed, removed) survive only as of its last
 *   `syncDirectory`; a directory itself survives once its parent was synced after it was
 *   made (`directorySyncs` lists every sync, for tests to assert on);
 * - `crash()` throws everything else away and halts the file system (every call fails, as
 *   for a dead process) until `restart()`; handles opened before the crash stay dead.
 *
 * It can also run out of space (`spaceLimit`), fail operations with an errno code
 * (`failWith`), and crash by itself after a number of mutating operations (`crashAfter`).
 */
export class FaultFs implements LogFileSystem {
  private readonly dirs = new Map<string, Dir>();
  private generation = 0;
  private halted = false;
  private mutations = 0;
  private crashAt?: number;
  /** Total bytes all live files may hold; writes past it fail with ENOSPC. */
  spaceLimit?: number;
  /** Operations that fail with the given errno code, e.g. `{ write: "EIO" }`. */
  failWith: Partial<Record<"write" | "datasync" | "open" | "rename" | "syncDirectory", string>> =
    {};

  /** Mutating operations (writes, truncations, syncs, creations, renames, unlinks) so far. */
  get mutationCount(): number {
    return this.mutations;
  }

  get isHalted(): boolean {
    return this.halted;
  }

  /** Crash just before the `n`th mutating operation from now (1: the next one). */
  crashAfter(n: number | undefined): void {
    this.crashAt = n === undefined ? undefined : this.mutations + n;
  }

  /** Loses everything not made durable, and halts until `restart()`. */
  crash(): void {
    this.generation++;
    this.halted = true;
    this.crashAt = undefined;
    // A directory whose entry never reached its parent is lost, with everything below it.
    const lost = [...this.dirs.entries()].filter(([, d]) => !d.inParent).map(([path]) => path);
    for (const path of [...this.dirs.keys()]) {
      if (lost.some((l) => path === l || path.startsWith(`${l}/`))) this.dirs.delete(path);
    }
    for (const dir of this.dirs.values()) {
      dir.entries = new Map(dir.durable);
      for (const inode of dir.entries.values()) inode.data = Buffer.from(inode.durable);
    }
  }

  restart(): void {
    this.halted = false;
  }

  /** A copy of a file's current bytes. */
  bytesOf(path: string): Buffer {
    return Buffer.from(this.lookup(path).data);
  }

  /** Replaces a file's bytes, durably (as if damaged on disk). */
  setBytes(path: string, bytes: Buffer): void {
    const inode = this.lookup(path);
    inode.data = Buffer.from(bytes);
    inode.durable = Buffer.from(bytes);
  }

  /** Names in a directory, sorted. */
  list(dir: string): string[] {
    return [...this.dir(dir).entries.keys()].sort();
  }

  async open(path: string, mode: OpenMode): Promise<LogFile> {
    this.check("open", path);
    const dir = this.dir(dirname(path));
    const name = basename(path);
    let inode = dir.entries.get(name);
    if (inode && mode === "createNew") throw errno("EEXIST", "open", path);
    if (!inode) {
      if (mode === "read" || mode === "update") throw errno("ENOENT", "open", path);
      this.mutate("open", path);
      inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0) };
      dir.entries.set(name, inode);
    } else if (mode === "replace") {
      this.mutate("open", path);
      inode.data = Buffer.alloc(0);
    }
    return new FaultFile(this, inode, path, mode !== "read", this.generation);
  }

  async readdir(dir: string): Promise<string[]> {
    this.check("readdir", dir);
    return [...this.dir(dir).entries.keys()];
  }

  async mkdir(dir: string): Promise<string[]> {
    this.check("mkdir", dir);
    const created: string[] = [];
    for (let d = dir; !this.dirs.has(d); d = dirname(d)) {
      // The root is there from the start; others survive a crash once their parent is synced.
      this.dirs.set(d, { entries: new Map(), durable: new Map(), inParent: d === dirname(d) });
      created.unshift(d);
      if (d === dirname(d)) break;
    }
    return created;
  }

  /** Every `syncDirectory` call so far, in order. */
  readonly directorySyncs: string[] = [];

  async unlink(path: string): Promise<void> {
    this.check("unlink", path);
    const dir = this.dir(dirname(path));
    if (!dir.entries.has(basename(path))) throw errno("ENOENT", "unlink", path);
    this.mutate("unlink", path);
    dir.entries.delete(basename(path));
  }

  async rename(from: string, to: string): Promise<void> {
    this.check("rename", from);
    const source = this.dir(dirname(from));
    const inode = source.entries.get(basename(from));
    if (!inode) throw errno("ENOENT", "rename", from);
    this.mutate("rename", from);
    source.entries.delete(basename(from));
    this.dir(dirname(to)).entries.set(basename(to), inode);
  }

  async syncDirectory(dir: string): Promise<void> {
    this.check("syncDirectory", dir);
    this.mutate("syncDirectory", dir);
    const d = this.dir(dir);
    d.durable = new Map(d.entries);
    this.directorySyncs.push(dir);
    for (const [path, child] of this.dirs)
      if (dirname(path) === dir && path !== dir) child.inParent = true;
  }

  async sizeOf(path: string): Promise<number | undefined> {
    this.check("stat", path);
    return this.dirs.get(dirname(path))?.entries.get(basename(path))?.data.length;
  }

  async removeAll(dir: string): Promise<void> {
    this.check("rm", dir);
    for (const d of [...this.dirs.keys()]) {
      if (d === dir || d.startsWith(`${dir}/`)) this.dirs.delete(d);
    }
  }

  /** Fails if halted, or with an injected error for this operation. */
  check(operation: string, path: string): void {
    if (this.halted) throw errno("EIO", `${operation} after a simulated crash`, path);
    const code = this.failWith[operation as keyof FaultFs["failWith"]];
    if (code) throw errno(code, operation, path);
  }

  /** Counts a mutating operation, crashing first if that was scheduled. */
  mutate(operation: string, path: string): void {
    this.mutations++;
    if (this.crashAt !== undefined && this.mutations >= this.crashAt) {
      this.crash();
      throw errno("EIO", `${operation} interrupted by a simulated crash`, path);
    }
  }

  isCurrent(generation: number): boolean {
    return generation === this.generation && !this.halted;
  }

  /** Bytes held by the files present now. */
  usedBytes(): number {
    let used = 0;
    for (const dir of this.dirs.values()) {
      for (const inode of dir.entries.values()) used += inode.data.length;
    }
    return used;
  }

  /** Bytes free under `spaceLimit`. */
  freeBytes(): number {
    if (this.spaceLimit === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.spaceLimit - this.usedBytes());
  }

  private dir(path: string): Dir {
    const dir = this.dirs.get(path);
    if (!dir) throw errno("ENOENT", "open directory", path);
    return dir;
  }

  private lookup(path: string): Inode {
    const inode = this.dir(dirname(path)).entries.get(basename(path));
    if (!inode) throw errno("ENOENT", "lookup", path);
    return inode;
  }
}

interface Inode {
  data: Buffer;
  durable: Buffer;
}

interface Dir {
  entries: Map<string, Inode>;
  durable: Map<string, Inode>;
  /** Whether the directory's own entry in its parent is durable. */
  inParent: boolean;
}

class FaultFile implements LogFile {
  private closed = false;

  constructor(
    private readonly fs: FaultFs,
    private readonly inode: Inode,
    private readonly path: string,
    private readonly writable: boolean,
    private readonly generation: number,
  ) {}

  async read(target: Buffer, at: number, length: number, position: number): Promise<number> {
    this.live("read");
    const { data } = this.inode;
    if (position >= data.length) return 0;
    return data.copy(target, at, position, Math.min(data.length, position + length));
  }

  async write(source: Buffer, at: number, length: number, position: number): Promise<number> {
    this.live("write");
    this.writableOrThrow("write");
    this.fs.check("write", this.path);
    const growth = Math.max(0, position + length - this.inode.data.length);
    const fits = growth <= this.fs.freeBytes() ? length : length - growth + this.fs.freeBytes();
    if (fits <= 0) throw errno("ENOSPC", "write", this.path);
    this.fs.mutate("write", this.path);
    const end = position + fits;
    if (end > this.inode.data.length) {
      const grown = Buffer.alloc(end);
      this.inode.data.copy(grown);
      this.inode.data = grown;
    }
    source.copy(this.inode.data, position, at, at + fits);
    return fits;
  }

  async truncate(size: number): Promise<void> {
    this.live("truncate");
    this.writableOrThrow("truncate");
    this.fs.mutate("truncate", this.path);
    const resized = Buffer.alloc(size);
    this.inode.data.copy(resized, 0, 0, Math.min(size, this.inode.data.length));
    this.inode.data = resized;
  }

  async datasync(): Promise<void> {
    this.live("datasync");
    this.fs.check("datasync", this.path);
    this.fs.mutate("datasync", this.path);
    this.inode.durable = Buffer.from(this.inode.data);
  }

  async size(): Promise<number> {
    this.live("stat");
    return this.inode.data.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private live(operation: string): void {
    if (this.closed) throw errno("EBADF", operation, this.path);
    if (!this.fs.isCurrent(this.generation)) {
      throw errno("EIO", `${operation} on a handle from before a simulated crash`, this.path);
    }
  }

  private writableOrThrow(operation: string): void {
    if (!this.writable) throw errno("EBADF", `${operation} on a read-only handle`, this.path);
  }
}

function errno(code: string, operation: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${operation}, '${path}'`);
  error.code = code;
  error.path = path;
  return error;
}
