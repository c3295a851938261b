import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import type { Settings } from "./settings.js";

/** Keys naming files the broker reads at start-up. */
const FILE_KEYS = [
  "tls.cert",
  "tls.key",
  "tls.client.auth.ca",
  "tls.client.authz.model",
  "tls.client.authz.policy",
  "nats.tls.cert",
  "nats.tls.key",
  "nats.tls.ca",
  "nats.embedded.config",
] as const;

/** Fails on the first configured file that is missing or unreadable, naming its key. */
export async function checkConfiguredFiles(settings: Settings): Promise<void> {
  for (const key of FILE_KEYS) {
    const file = settings.string(key);
    if (file === undefined) continue;
    const problem = await fileProblem(file);
    if (problem) throw settings.invalid(key, `a readable file (${problem})`);
  }
}

async function fileProblem(file: string): Promise<string | undefined> {
  try {
    if (!(await stat(file)).isFile()) return "not a regular file";
    await access(file, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "no such file";
    if (code === "EACCES") return "permission denied";
    return String(code ?? err);
  }
}
