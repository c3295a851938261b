import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionContext } from "ava";

/**
 * Real full disks for tests: a small tmpfs mounted on a fresh directory (needs root, as CI
 * runs). `smallDisksAvailable` says whether this machine can; tests skip with a message when
 * it cannot, except under CI, where they must run.
 */
function probe(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "lb-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const problem = probe();
export const smallDisksAvailable = problem === undefined;
if (problem !== undefined) {
  if (process.env.CI) throw new Error(`CI must be able to mount a tmpfs (run as root): ${problem}`);
  console.warn(`skipping the real full-disk tests: cannot mount a tmpfs here (${problem})`);
}

/** Mounts a tmpfs of `size` (e.g. "16m") on a fresh directory, unmounted when the test ends. */
export function mountSmallDisk(t: ExecutionContext, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lb-small-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  // A test that times out skips its teardown: never leave the mount behind.
  const detach = () => {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
    } catch {
      // Already unmounted.
    }
  };
  process.once("exit", detach);
  t.teardown(async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync("umount", [dir], { stdio: "pipe" });
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    process.removeListener("exit", detach);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes `<dir>/filler` until the disk is full; returns its path (delete it to free space). */
export async function fillDisk(dir: string, name = "filler"): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path, "a");
  const chunk = Buffer.alloc(4096, 7);
  try {
    for (;;) await handle.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    await handle.close();
  }
  return path;
}
