/**
 * The command line and output of a benchmark driver (see bench/README.md, "Independent
 * clients"), for the drivers written in TypeScript.
 */
import { performance } from "node:perf_hooks";
import { runWindowed } from "../drivers.js";
import type { Percentiles } from "../stats.js";

export type LbMode = "lb-publish-async" | "lb-publish" | "lb-subscribe";
const LB_MODES: readonly string[] = ["lb-publish-async", "lb-publish", "lb-subscribe"];

export interface LbDriverArgs {
  mode: LbMode;
  address: string;
  stream: string;
  size: number;
  window: number;
  ack: "leader" | "all" | "none";
  warmupMs: number;
  measureMs: number;
  count: number;
}

export class DriverUsageError extends Error {}

/** Parses `<mode> [--flag value ...]` for the lb modes. */
export function parseLbDriverArgs(argv: readonly string[]): LbDriverArgs {
  const [mode, ...rest] = argv;
  if (!mode || !LB_MODES.includes(mode)) {
    throw new DriverUsageError(`mode is "${mode ?? ""}", expected one of ${LB_MODES.join(", ")}`);
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const value = rest[i + 1];
    if (!name.startsWith("--") || value === undefined) {
      throw new DriverUsageError(`expected "--flag value" pairs, got "${name}" ${value ?? ""}`);
    }
    flags.set(name.slice(2), value);
  }
  const int = (name: string, fallback: number | undefined, min: number) => {
    const raw = flags.get(name);
    if (raw === undefined) {
      if (fallback === undefined) throw new DriverUsageError(`--${name} is required`);
      return fallback;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      throw new DriverUsageError(`--${name} is "${raw}", expected an integer ≥ ${min}`);
    }
    return n;
  };
  const address = flags.get("address");
  const stream = flags.get("stream");
  if (!address) throw new DriverUsageError("--address host:port is required");
  if (!stream) throw new DriverUsageError("--stream is required");
  const ack = flags.get("ack") ?? "leader";
  if (ack !== "leader" && ack !== "all" && ack !== "none") {
    throw new DriverUsageError(`--ack is "${ack}", expected leader, all or none`);
  }
  const known = new Set([
    "address",
    "stream",
    "subject",
    "size",
    "window",
    "ack",
    "warmup-ms",
    "measure-ms",
    "count",
  ]);
  for (const name of flags.keys()) {
    if (!known.has(name)) throw new DriverUsageError(`unknown flag --${name}`);
  }
  return {
    mode: mode as LbMode,
    address,
    stream,
    size: int("size", 100, 0),
    window: int("window", 1000, 1),
    ack,
    warmupMs: int("warmup-ms", 1000, 0),
    measureMs: int("measure-ms", 5000, 1),
    count: int("count", mode === "lb-subscribe" ? undefined : 0, mode === "lb-subscribe" ? 1 : 0),
  };
}

export interface DriverReport {
  messages: number;
  seconds: number;
  latencyUs: Percentiles | null;
  errors: number;
  client: string;
}

/** What a client does for each mode. `send` resolves once acked (false: the ack was an error). */
export interface LbClientImpl {
  client: string;
  connect(args: LbDriverArgs): Promise<void>;
  publishAsync(): () => Promise<boolean>;
  publish(): () => Promise<boolean>;
  /** Resolves once `count` messages (not counting a handshake) arrived. */
  subscribe(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Runs the mode with `impl` and returns the protocol's report. */
export async function runLbMode(args: LbDriverArgs, impl: LbClientImpl): Promise<DriverReport> {
  await impl.connect(args);
  try {
    if (args.mode === "lb-subscribe") {
      const start = performance.now();
      await impl.subscribe(args.count);
      const seconds = (performance.now() - start) / 1000;
      return { messages: args.count, seconds, latencyUs: null, errors: 0, client: impl.client };
    }
    const send = args.mode === "lb-publish-async" ? impl.publishAsync() : impl.publish();
    let errors = 0;
    const result = await runWindowed(
      args.mode === "lb-publish-async" ? args.window : 1,
      {
        warmupSeconds: args.warmupMs / 1000,
        measureSeconds: args.measureMs / 1000,
        messageBytes: args.size,
      },
      async () => {
        if (!(await send())) errors++;
      },
    );
    return {
      messages: result.messages,
      seconds: result.seconds,
      latencyUs: result.latency ?? null,
      errors,
      client: impl.client,
    };
  } finally {
    await impl.close();
  }
}

/** The driver's main: parse, run, print one JSON line; one line on stderr and exit 1 if not. */
export async function driverMain(argv: readonly string[], impl: LbClientImpl): Promise<void> {
  try {
    const report = await runLbMode(parseLbDriverArgs(argv), impl);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${impl.client} driver: ${message.replaceAll("\n", " ")}\n`);
    process.exit(err instanceof DriverUsageError ? 2 : 1);
  }
}

export function payload(size: number): Uint8Array {
  return new Uint8Array(size).fill(97);
}
