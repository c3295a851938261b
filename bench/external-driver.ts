/**
 * Runs a benchmark driver (a program of its own, in any language) as a child process per
 * the protocol in bench/README.md ("External drivers"): `<driver> <mode> [--flag value ...]`,
 * exactly one JSON line on stdout, exit 0; a one-line message on stderr and a non-zero exit on
 * failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Percentiles, RunResult } from "./stats.js";

export type DriverMode =
  | "lb-publish-async"
  | "lb-publish"
  | "lb-subscribe"
  | "js-publish-async"
  | "js-publish"
  | "js-replay"
  | "null-server";

/** How to start a driver: the command and the arguments that go before the mode. */
export interface DriverCommand {
  /** Names the driver in errors, e.g. "Python grpcio driver". */
  name: string;
  command: string;
  args: string[];
}

export interface DriverFlags {
  address?: string;
  natsUrl?: string;
  stream?: string;
  subject?: string;
  size?: number;
  window?: number;
  ack?: "leader" | "all" | "none";
  warmupMs?: number;
  measureMs?: number;
  count?: number;
  listen?: string;
  replayCount?: number;
}

/** What a driver printed, validated. */
export interface DriverOutput {
  messages: number;
  seconds: number;
  latencyUs: Percentiles | null;
  errors: number;
  client: string;
}

/** Time a driver may take beyond its own warm-up and measurement (process start, connect). */
const GRACE_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

const FLAG_NAMES: Record<keyof DriverFlags, string> = {
  address: "--address",
  natsUrl: "--nats-url",
  stream: "--stream",
  subject: "--subject",
  size: "--size",
  window: "--window",
  ack: "--ack",
  warmupMs: "--warmup-ms",
  measureMs: "--measure-ms",
  count: "--count",
  listen: "--listen",
  replayCount: "--replay-count",
};

export function driverArgv(driver: DriverCommand, mode: DriverMode, flags: DriverFlags): string[] {
  const argv = [...driver.args, mode];
  for (const [key, flag] of Object.entries(FLAG_NAMES) as [keyof DriverFlags, string][]) {
    const value = flags[key];
    if (value !== undefined) argv.push(flag, String(value));
  }
  return argv;
}

/** Children still running; killed if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function spawnDriver(driver: DriverCommand, argv: string[]): ChildProcess {
  const child = spawn(driver.command, argv, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/**
 * Runs one timed or replay mode to completion and returns its result as the harness's
 * RunResult (with `messageBytes` payload bytes per message) and the client it named.
 * Rejects, naming the driver and mode, when it exits non-zero, prints anything but one valid
 * JSON line, reports errors, or runs past its time.
 */
export async function runDriver(
  driver: DriverCommand,
  mode: DriverMode,
  flags: DriverFlags,
  messageBytes: number,
): Promise<{ result: RunResult; client: string }> {
  const argv = driverArgv(driver, mode, flags);
  const what = `${driver.name} ${mode}`;
  const child = spawnDriver(driver, argv);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const limitMs = (flags.warmupMs ?? 1000) + (flags.measureMs ?? 5000) + GRACE_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, limitMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`${what}: could not start ${driver.command}: ${err.message}`));
      });
      child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    },
  );
  clearTimeout(timer);
  const lastStderr = stderr.trim().split("\n").slice(-3).join(" | ");
  if (timedOut) throw new Error(`${what}: still running after ${limitMs} ms, killed`);
  if (code !== 0) {
    throw new Error(
      `${what} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${lastStderr || "(no stderr)"}`,
    );
  }
  const output = parseDriverOutput(stdout, what);
  if (output.errors > 0) {
    throw new Error(
      `${what}: ${output.errors} requests failed${lastStderr ? `: ${lastStderr}` : ""}`,
    );
  }
  return {
    result: {
      messages: output.messages,
      seconds: output.seconds,
      messageBytes,
      latency: output.latencyUs ?? undefined,
    },
    client: output.client,
  };
}

/** Validates a driver's stdout: exactly one JSON line with the protocol's fields. */
export function parseDriverOutput(stdout: string, what: string): DriverOutput {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1) {
    throw new Error(
      `${what}: expected one JSON line on stdout, got ${lines.length}: ${stdout.slice(0, 300)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(lines[0]!);
  } catch (err) {
    throw new Error(`${what}: stdout is not JSON (${(err as Error).message}): ${lines[0]}`);
  }
  const o = parsed as Record<string, unknown>;
  const number = (field: string, value: unknown, min: number) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
      throw new Error(
        `${what}: "${field}" is ${JSON.stringify(value)}, expected a number ≥ ${min}`,
      );
    }
    return value;
  };
  const messages = number("messages", o.messages, 0);
  const seconds = number("seconds", o.seconds, Number.MIN_VALUE);
  const errors = number("errors", o.errors ?? 0, 0);
  if (typeof o.client !== "string" || o.client === "") {
    throw new Error(`${what}: "client" is ${JSON.stringify(o.client)}, expected a description`);
  }
  let latencyUs: Percentiles | null = null;
  if (o.latencyUs !== null && o.latencyUs !== undefined) {
    const l = o.latencyUs as Record<string, unknown>;
    latencyUs = {
      p50: number("latencyUs.p50", l.p50, 0),
      p99: number("latencyUs.p99", l.p99, 0),
      p999: number("latencyUs.p999", l.p999, 0),
    };
  }
  return { messages, seconds, latencyUs, errors, client: o.client };
}

export interface DriverServer {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a driver's `null-server` mode and resolves once it printed `{"listening":"host:port"}`;
 * `stop` sends SIGTERM (SIGKILL after 5 s).
 */
export async function startDriverServer(
  driver: DriverCommand,
  flags: DriverFlags,
): Promise<DriverServer> {
  const what = `${driver.name} null-server`;
  const child = spawnDriver(driver, driverArgv(driver, "null-server", flags));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(
        () => reject(new Error(`${what}: not listening within ${GRACE_MS} ms; stderr: ${stderr}`)),
        GRACE_MS,
      );
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const newline = stdout.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          const { listening } = JSON.parse(stdout.slice(0, newline)) as { listening?: unknown };
          if (typeof listening !== "string" || !/^\S+:\d+$/.test(listening)) {
            throw new Error(`"listening" is ${JSON.stringify(listening)}, expected host:port`);
          }
          resolve(listening);
        } catch (err) {
          reject(new Error(`${what}: bad ready line ${stdout.slice(0, newline)}: ${String(err)}`));
        }
      });
      child.once("error", (err) => reject(new Error(`${what}: could not start: ${err.message}`)));
      child.once("exit", (code) =>
        reject(new Error(`${what} exited with code ${code} before listening; stderr: ${stderr}`)),
      );
    });
    return { address, pid: child.pid!, stop };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}
