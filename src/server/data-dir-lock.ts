import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { StartupError } from "./data-dir.js";
import { DATA_FILE_MODE } from "./log/file-system.js";

export const LOCK_FILE = "lock";
const ACQUIRE_ATTEMPTS = 3;

/** Who holds a data directory: written to `<data>/lock` as JSON. */
interface LockHolder {
  pid: number;
  host: string;
  /** The holder's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  started?: string;
}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Takes `<dir>/lock` for this process, as Kafka and JetStream lock their directories: a second
 * broker on the same data directory is refused, naming the holder. The file is created with
 * link(2), which fails if it exists, so two brokers starting together cannot both win. A lock
 * whose holder is no longer running (killed -9, power loss) is stale and is replaced; the
 * holder's start time is compared as well as its pid, so a new process that happens to reuse
 * the pid does not keep the lock alive.
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const file = join(dir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: processStat(process.pid)?.started,
  };
  const contents = `${JSON.stringify(mine)}\n`;
  const temp = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}`);
  await writeFile(temp, contents, { mode: DATA_FILE_MODE });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await link(temp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text === undefined) continue; // released meanwhile: try again
      const holder = parseHolder(text);
      if (holder && isRunning(holder)) {
        const where = holder.host === mine.host ? "" : ` on host ${holder.host}`;
        throw new StartupError(
          `data dir ${dir} is in use by another lb broker (pid ${holder.pid}${where}, lock file ${file}): stop it first, or use another --data`,
        );
      }
      if (attempt >= ACQUIRE_ATTEMPTS) {
        throw new StartupError(
          `cannot take the lock ${file}: it keeps changing; is another broker starting on ${dir}?`,
        );
      }
      // Stale (its holder is gone) or unreadable (not ours to trust): replace it.
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text === contents) await unlink(file).catch(() => undefined);
    },
  };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isInteger(parsed.pid) || typeof parsed.host !== "string") return undefined;
    return parsed as LockHolder;
  } catch {
    return undefined;
  }
}

/** A holder on another host cannot be checked from here, so it counts as running. */
function isRunning(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = processStat(holder.pid);
  // Without /proc the pid's existence is all there is to go on; with it, no entry: it just died.
  if (stat === undefined) return processStat(process.pid) === undefined;
  if (stat.state === "Z") return false; // killed, not yet reaped by its parent
  return holder.started === undefined || stat.started === holder.started;
}

/** State and start time (fields 3 and 22 of /proc/<pid>/stat), or undefined off Linux. */
function processStat(pid: number): { state: string; started: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", started: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}
