import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import { freePort } from "./nats.js";
import { makeTempDir } from "./tmp.js";

export const LB_BIN = fileURLToPath(new URL("../../../bin/run.js", import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `lb` binary to completion, as a user or a CI script would. */
export function runLb(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LB_BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`lb ${args.join(" ")} did not finish in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Runs lb on a pseudo-terminal (util-linux script), as a person at a terminal would. */
export function runOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, LB_BIN, ...args].map((a) => `'${a}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out.replaceAll("\r", "")) : reject(new Error(`exit ${code}: ${out}`)),
    );
  });
}

export interface ServeProcess {
  child: ChildProcess;
  address: string;
  natsUrl: string;
  stderr: () => string;
  /** Sends a signal and resolves with the exit code (or the signal that killed it). */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

/** Starts `lb serve ...` and resolves once it prints its ready line. */
export function startServe(
  t: ExecutionContext,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { detached?: boolean } = {},
): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    // detached: in a process group of its own, as a shell job (its pid is the group id).
    const child = spawn(process.execPath, [LB_BIN, "serve", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.detached,
    });
    let stderr = "";
    const exited = new Promise<number | NodeJS.Signals | null>((r) =>
      child.on("exit", (code, signal) => r(code ?? signal)),
    );
    const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    };
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (options.detached) process.kill(-child.pid!, "SIGKILL");
        else child.kill("SIGKILL");
      }
      await exited;
    });
    const timer = setTimeout(
      () => reject(new Error(`lb serve not ready within 60 s: ${stderr}`)),
      60_000,
    );
    child.stderr.on("data", (d) => {
      stderr += d;
      const ready = /lb ready on \S+, advertised (\S+), nats (\S+),/.exec(stderr);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, address: ready[1]!, natsUrl: ready[2]!, stderr: () => stderr, stop });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`lb serve exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

/** `lb serve` seeding its own cluster on an external NATS, in a fresh data dir on a free port. */
export async function startServeOnNats(
  t: ExecutionContext,
  natsUrl: string,
  dirPrefix: string,
): Promise<ServeProcess> {
  const dir = await makeTempDir(dirPrefix, t);
  const port = await freePort();
  return startServe(t, ["-d", dir, "-p", String(port), "-n", natsUrl, "--raft-bootstrap-seed"]);
}
