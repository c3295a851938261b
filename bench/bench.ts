import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExternalClients, prepareExternalClients } from "./external-clients.js";
import { describeMachine } from "./machine.js";
import type { BenchOptions } from "./options.js";
import { processCpuMicros } from "./process-cpu.js";
import { Progress } from "./progress.js";
import {
  type BenchReport,
  computeRatios,
  type ResultRow,
  renderMarkdown,
  renderTable,
  type ScenarioReport,
} from "./report.js";
import { clusterScenario } from "./scenarios/cluster.js";
import { endToEndScenario } from "./scenarios/end-to-end.js";
import {
  independentPublishAsyncScenario,
  independentPublishScenario,
  independentReplayScenario,
} from "./scenarios/independent.js";
import { natsIngestScenario } from "./scenarios/nats-ingest.js";
import { publishAsyncScenario } from "./scenarios/publish-async.js";
import { publishSyncScenario } from "./scenarios/publish-sync.js";
import { replayScenario } from "./scenarios/replay.js";
import type { BenchSystems, Contender, Scenario, ScenarioContext } from "./scenarios/types.js";
import { type RunResult, summarize } from "./stats.js";
import { type System, startCoreNats, startJetStream, startLb, stopSystem } from "./systems.js";

const DEFAULT_RESULTS_DIR = fileURLToPath(new URL("../../bench/results/", import.meta.url));

interface ScenarioEntry {
  id: string;
  make: (ctx: ScenarioContext) => Scenario;
  /** False when the scenario starts its own servers and never touches the shared systems. */
  usesSharedSystems: boolean;
  /** Which external drivers it has rows for. */
  drivers: { go: boolean; python: boolean };
}

const GO_ONLY = { go: true, python: false };
const NONE = { go: false, python: false };
const ALL = { go: true, python: true };

const SCENARIOS: ScenarioEntry[] = [
  { id: "a", make: publishAsyncScenario, usesSharedSystems: true, drivers: GO_ONLY },
  { id: "b", make: publishSyncScenario, usesSharedSystems: true, drivers: GO_ONLY },
  { id: "c", make: replayScenario, usesSharedSystems: true, drivers: GO_ONLY },
  { id: "d", make: endToEndScenario, usesSharedSystems: true, drivers: NONE },
  { id: "e", make: clusterScenario, usesSharedSystems: false, drivers: GO_ONLY },
  { id: "f", make: natsIngestScenario, usesSharedSystems: true, drivers: NONE },
  { id: "g1", make: independentPublishAsyncScenario, usesSharedSystems: true, drivers: ALL },
  { id: "g2", make: independentPublishScenario, usesSharedSystems: true, drivers: ALL },
  { id: "g3", make: independentReplayScenario, usesSharedSystems: true, drivers: ALL },
];

/** `--only g` selects g1, g2 and g3. */
export function isSelected(id: string, only: readonly string[]): boolean {
  return only.length === 0 || only.includes(id) || only.includes(id.charAt(0));
}

export interface BenchOutcome {
  report: BenchReport;
  /** Where the JSON was saved. */
  savedTo: string;
  /** What to print: the table, the Markdown table, or the JSON. */
  output: string;
}

/**
 * Starts lb (sync always and none, each a child process on its own nats-server), JetStream
 * (file storage) and core NATS, runs every scenario against them with runs interleaved, and
 * saves the report as JSON.
 */
export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const progress = new Progress();
  const startedAt = new Date();
  progress.update("starting nats-servers and brokers…");
  const started: System[] = [];
  const keep = <T extends System>(system: T) => {
    started.push(system);
    return system;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    progress.note(`bench: ${signal}, stopping the servers`);
    void Promise.allSettled(started.map(stopSystem)).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const selected = SCENARIOS.filter(({ id }) => isSelected(id, options.only));
    progress.update("looking for the Go and Python drivers…");
    const clients: ExternalClients = await prepareExternalClients({
      go: selected.some((s) => s.drivers.go),
      python: selected.some((s) => s.drivers.python),
    });
    for (const line of clients.skipped) progress.note(`bench: ${line}`);
    progress.update("starting nats-servers and brokers…");
    const systems: BenchSystems | undefined = selected.some((s) => s.usesSharedSystems)
      ? {
          lb: [keep(await startLb("always")), keep(await startLb("none"))],
          jetstream: keep(await startJetStream()),
          core: keep(await startCoreNats()),
        }
      : undefined;
    const reports: ScenarioReport[] = [];
    for (const entry of selected) {
      const scenario = entry.make({
        systems: systems ?? noSharedSystems(entry.id),
        options,
        clients,
      });
      const { filter } = options;
      if (filter) {
        scenario.contenders = scenario.contenders.filter((c) =>
          `${c.system} ${c.client}`.toLowerCase().includes(filter),
        );
      }
      reports.push(await runScenario(scenario, options.runs, progress));
    }
    progress.clear();
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: ["node", "dist/bench/run.js", ...process.argv.slice(2)].join(" "),
      quick: options.quick,
      runsPerScenario: options.runs,
      machine: await describeMachine(),
      scenarios: reports,
      skipped: clients.skipped,
    };
    const savedTo = await saveReport(report, options.resultsDir ?? DEFAULT_RESULTS_DIR, startedAt);
    const output =
      options.format === "json"
        ? `${JSON.stringify(report, null, 2)}\n`
        : options.format === "markdown"
          ? renderMarkdown(report)
          : renderTable(report);
    return { report, savedTo, output };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    progress.update("stopping…");
    await Promise.allSettled(started.map(stopSystem));
    progress.clear();
  }
}

/** Stands in for the shared systems when only self-contained scenarios run; touching it is a bug. */
function noSharedSystems(id: string): BenchSystems {
  return new Proxy({} as BenchSystems, {
    get() {
      throw new Error(`bench scenario (${id}) is marked usesSharedSystems: false but used them`);
    },
  });
}

async function runScenario(
  scenario: Scenario,
  runs: number,
  progress: Progress,
): Promise<ScenarioReport> {
  const report: ScenarioReport = {
    id: scenario.id,
    title: scenario.title,
    compare: scenario.compare,
    rows: [],
    notYet: scenario.notYet,
  };
  if (scenario.notYet) return report;
  const results: RunResult[][] = scenario.contenders.map(() => []);
  const errors: (string | undefined)[] = scenario.contenders.map(() => undefined);
  const fail = (i: number, what: string, err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    errors[i] ??= message;
    const c = scenario.contenders[i]!;
    progress.note(`bench (${scenario.id}) ${c.system} / ${c.client}: ${what} failed: ${message}`);
  };
  for (const [i, contender] of scenario.contenders.entries()) {
    progress.update(`(${scenario.id}) preparing ${contender.system}: ${contender.client}`);
    try {
      await contender.setup?.();
    } catch (err) {
      fail(i, "setup", err);
    }
  }
  // Runs are interleaved across contenders so that a noisy moment spreads over all of them.
  for (let run = 1; run <= runs; run++) {
    for (const [i, contender] of scenario.contenders.entries()) {
      if (errors[i]) continue;
      progress.update(
        `(${scenario.id}) ${scenario.title} — run ${run}/${runs}: ${contender.system}, ${contender.client}`,
      );
      try {
        results[i]!.push(await runMeasuringCpu(contender));
      } catch (err) {
        fail(i, `run ${run}`, err);
      }
    }
  }
  for (const [i, contender] of scenario.contenders.entries()) {
    try {
      await contender.teardown?.();
    } catch (err) {
      progress.note(`bench (${scenario.id}) ${contender.system}: teardown failed: ${String(err)}`);
    }
    const row: ResultRow = {
      system: contender.system,
      client: contender.client,
      reference: contender.reference === true,
      key: contender.key,
      ratioTo: contender.ratioTo,
      driverClient: results[i]!.at(-1)?.client,
      error: errors[i],
    };
    if (!errors[i] && results[i]!.length > 0) row.summary = summarize(results[i]!);
    report.rows.push(row);
  }
  computeRatios(report);
  return report;
}

/** Runs the contender once; with `serverCpu`, adds its server's CPU time per message. */
async function runMeasuringCpu(contender: Contender): Promise<RunResult> {
  const cpu = contender.serverCpu;
  if (!cpu) return contender.run();
  const pid = cpu.pid();
  const processedBefore = await cpu.processed?.();
  const cpuBefore = await processCpuMicros(pid);
  const result = await contender.run();
  const cpuAfter = await processCpuMicros(pid);
  const processedAfter = await cpu.processed?.();
  const handled =
    processedBefore === undefined || processedAfter === undefined
      ? result.messages
      : processedAfter - processedBefore;
  if (handled > 0) result.serverCpuUsPerMsg = (cpuAfter - cpuBefore) / handled;
  return result;
}

async function saveReport(report: BenchReport, dir: string, at: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `${at.toISOString().replace(/[:.]/g, "-")}${report.quick ? "-quick" : ""}.json`;
  const file = join(dir, name);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
