import type { ExternalClients } from "../external-clients.js";
import type { BenchOptions } from "../options.js";
import type { RunResult } from "../stats.js";
import type { CoreNatsSystem, JetStreamSystem, LbSystem } from "../systems.js";

/** Every system a benchmark run starts, shared by the scenarios. */
export interface BenchSystems {
  /** lb with sync policy always (the default), then none. */
  lb: LbSystem[];
  jetstream: JetStreamSystem;
  core: CoreNatsSystem;
}

export interface ScenarioContext {
  systems: BenchSystems;
  options: BenchOptions;
  /** The drivers of other clients that could run here (Go, Python). */
  clients: ExternalClients;
}

/** A further ratio a row shows: this row against the row whose `key` matches. */
export interface RatioTo {
  /** How the ratio is labelled, e.g. "JetStream nats.go". */
  label: string;
  key: string;
}

/** The server process whose CPU time a row reports per message. */
export interface ServerCpu {
  pid(): number;
  /**
   * How many messages the server has handled so far (e.g. stored); read before and after each
   * run. Without it the run's own message count is used (replays, counted from start to end).
   */
  processed?(): Promise<number>;
}

/** One system (and client) measured in a scenario. */
export interface Contender {
  system: string;
  /** The client and path used, stated in the output. */
  client: string;
  /** The row the others' ratios are computed against. */
  reference?: boolean;
  /** Names this row as the target of other rows' `ratioTo`. */
  key?: string;
  ratioTo?: RatioTo[];
  serverCpu?: ServerCpu;
  setup?(): Promise<void>;
  run(): Promise<RunResult>;
  teardown?(): Promise<void>;
}

export interface Scenario {
  id: string;
  title: string;
  /** What the lb / reference ratio compares: throughput, or p99 latency (lower is better). */
  compare: "rate" | "p99";
  contenders: Contender[];
  /** Printed instead of rows when the scenario cannot run yet. */
  notYet?: string;
}

export const MESSAGE_BYTES = 100;

/** A 100-byte value (what every scenario publishes). */
export function messageValue(): Uint8Array {
  const value = new Uint8Array(MESSAGE_BYTES);
  for (let i = 0; i < value.length; i++) value[i] = 97 + (i % 26);
  return value;
}
