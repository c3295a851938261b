import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DATA_DIR_MODE, DATA_FILE_MODE } from "./log/file-system.js";
import { syncDirectory } from "./raft/durable-files.js";

export const DATA_FORMAT = "lb-data-format 1";

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/**
 * Prepares the data directory: creates it, proves it is writable, and checks (or writes) the
 * format file so a future incompatible layout is refused instead of misread.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  try {
    await makeDirectory(resolve(dir));
    const probe = join(dir, `.probe-${process.pid}`);
    await writeFile(probe, "", { mode: DATA_FILE_MODE });
    await rm(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT" || code === "EEXIST" ? "cannot be created" : "is not writable";
    throw new StartupError(
      `data dir ${dir} ${problem} (${code ?? err}): choose another with --data or fix its permissions`,
    );
  }
  const formatFile = join(dir, "FORMAT");
  const existing = await readFile(formatFile, "utf8").catch(() => undefined);
  if (existing === undefined) {
    await writeStartupFile(formatFile, `${DATA_FORMAT}\n`);
  } else if (existing.trim() !== DATA_FORMAT) {
    throw new StartupError(
      `data dir ${dir} has format "${existing.trim()}", this lb reads "${DATA_FORMAT}": use a matching lb or another --data dir`,
    );
  }
}

/**
 * `mkdir -p` that fails instead of looping: Node's recursive mkdir spins forever on a path it
 * cannot create under a directory that exists (`/proc/nope`), so parents are made one by one.
 * A new directory is 0700 and its entry in its parent is synced.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: DATA_DIR_MODE });
    await syncDirectory(dirname(dir));
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if ((await stat(dir)).isDirectory()) return;
      throw err;
    }
    if (code !== "ENOENT" || dirname(dir) === dir) throw err;
  }
  await makeDirectory(dirname(dir));
  await mkdir(dir, { mode: DATA_DIR_MODE });
  await syncDirectory(dirname(dir));
}

/** The broker's id: configured, else remembered in the data dir, else a new random one. */
export async function resolveServerId(dir: string, configured: string): Promise<string> {
  const file = join(dir, "server-id");
  const stored = (await readFile(file, "utf8").catch(() => "")).trim();
  if (configured) {
    if (configured !== stored) await writeStartupFile(file, `${configured}\n`);
    return configured;
  }
  if (stored) return stored;
  const id = randomBytes(8).toString("hex");
  await writeStartupFile(file, `${id}\n`);
  return id;
}

/** Replaces `file` (mode 0600) with `contents`, durably: temp file, fsync, rename, fsync dir. */
export async function writeAtomically(file: string, contents: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temp, contents, { flush: true, mode: DATA_FILE_MODE });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
}

/** writeAtomically for start-up, where a full disk is a StartupError that says so. */
async function writeStartupFile(file: string, contents: string): Promise<void> {
  try {
    await writeAtomically(file, contents);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOSPC" && code !== "EDQUOT") throw err;
    throw new StartupError(
      `no space left on device to write ${file} (${code}): free space on its file system and start again`,
    );
  }
}
