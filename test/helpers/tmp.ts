import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** The part of an ava ExecutionContext the helpers use. */
export interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

/**
 * A fresh directory under os.tmpdir(). With an ava `t`, it is removed when the test ends;
 * otherwise call removeTempDir yourself.
 */
export async function makeTempDir(prefix: string, t?: Teardown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `lb-${prefix.replace(/[^\w.-]/g, "_")}-`));
  t?.teardown(() => removeTempDir(dir));
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
