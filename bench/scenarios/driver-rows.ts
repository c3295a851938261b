import {
  type DriverCommand,
  type DriverFlags,
  type DriverMode,
  runDriver,
} from "../external-driver.js";
import type { BenchOptions } from "../options.js";
import type { RunResult } from "../stats.js";
import { type JetStreamSystem, type LbSystem, storedCount } from "../systems.js";
import { MESSAGE_BYTES, type RatioTo, type ServerCpu } from "./types.js";

/** A run of an external driver with the scenario's timing and 100-byte messages. */
export function driverRun(
  driver: DriverCommand,
  mode: DriverMode,
  options: BenchOptions,
  flags: () => DriverFlags,
): () => Promise<RunResult> {
  return async () => {
    const { result, client } = await runDriver(
      driver,
      mode,
      {
        size: MESSAGE_BYTES,
        warmupMs: Math.round(options.warmupSeconds * 1000),
        measureMs: Math.round(options.measureSeconds * 1000),
        ...flags(),
      },
      MESSAGE_BYTES,
    );
    return { ...result, client };
  };
}

/**
 * A server several contenders share: started by the first `acquire` (in a setup), stopped when
 * every acquirer released it (in the teardowns).
 */
export class SharedServer<T> {
  private started?: Promise<T>;
  private holders = 0;

  constructor(
    private readonly start: () => Promise<T>,
    private readonly stop: (server: T) => Promise<void>,
  ) {}

  /** Returns a release function to call once, in teardown. */
  async acquire(): Promise<{ server: T; release: () => Promise<void> }> {
    this.started ??= this.start();
    this.holders++;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      if (--this.holders > 0 || !this.started) return;
      const started = this.started;
      this.started = undefined;
      await this.stop(await started);
    };
    try {
      return { server: await this.started, release };
    } catch (err) {
      this.holders--;
      this.started = undefined;
      throw err;
    }
  }
}

/** The key of a scenario's JetStream row driven by nats.go (the Go driver's js-* modes). */
export const NATS_GO_KEY = "js-nats.go";

/** What lb rows of a scenario with a nats.go row compare against besides the reference. */
export function natsGoRatio(go: DriverCommand | undefined): RatioTo[] | undefined {
  return go ? [{ label: "JetStream nats.go", key: NATS_GO_KEY }] : undefined;
}

/** CPU per message of the server behind `system`: per message stored in `stream()`, or sent. */
export function systemCpu(
  system: LbSystem | JetStreamSystem,
  stream: (() => string) | undefined,
): ServerCpu {
  return {
    pid: () => (system.kind === "lb" ? system.broker.pid : system.nats.pid),
    processed: stream ? () => storedCount(system, stream()) : undefined,
  };
}
