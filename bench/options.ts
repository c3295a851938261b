/** How a benchmark run is sized and reported. */
export interface BenchOptions {
  quick: boolean;
  /** What to print: a table, the JSON report, or a Markdown table (for the README). */
  format: "table" | "json" | "markdown";
  /** Runs per scenario and system; the table shows per-metric medians. */
  runs: number;
  /** Seconds each timed run measures (after its warm-up). */
  measureSeconds: number;
  warmupSeconds: number;
  /** Messages stored, then replayed, in scenario (c). */
  replayMessages: number;
  /** Messages stored, then replayed, in scenario (g3), per client. */
  independentReplayMessages: number;
  /** Messages published per run in scenario (f). */
  ingestMessages: number;
  /** Only these scenario ids (a–f, g1–g3; g for all three); all when empty. */
  only: string[];
  /** Only contenders whose "system client" text contains this (case-insensitive). */
  filter?: string;
  /** Where the JSON results go; default bench/results. */
  resultsDir?: string;
}

/** "g" selects g1, g2 and g3 (the independent clients). */
export const SCENARIO_IDS = ["a", "b", "c", "d", "e", "f", "g", "g1", "g2", "g3"] as const;

const USAGE = `usage: node dist/bench/run.js [--quick] [--json | --markdown] [--runs N] [--only a,b,c,d,e,f,g,g1,g2,g3] [--filter TEXT] [--results DIR]`;

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = "BenchUsageError";
  }
}

/** Parses the benchmark's command line (arguments after the script). */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let format: BenchOptions["format"] = "table";
  let runs: number | undefined;
  let only: string[] = [];
  let resultsDir: string | undefined;
  let filter: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s) : [arg];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new BenchUsageError(`${name}: expected a value`);
      return v;
    };
    switch (name) {
      case "--quick":
        quick = true;
        break;
      case "--json":
        format = "json";
        break;
      case "--markdown":
        format = "markdown";
        break;
      case "--runs": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) {
          throw new BenchUsageError(`--runs: got "${v}", expected an integer from 1 to 100`);
        }
        runs = n;
        break;
      }
      case "--only": {
        const v = value();
        only = v.split(",").map((s) => s.trim().toLowerCase());
        for (const id of only) {
          if (!(SCENARIO_IDS as readonly string[]).includes(id)) {
            throw new BenchUsageError(
              `--only: got scenario "${id}", expected some of ${SCENARIO_IDS.join(", ")}`,
            );
          }
        }
        break;
      }
      case "--filter":
        filter = value().toLowerCase();
        break;
      case "--results":
        resultsDir = value();
        break;
      default:
        throw new BenchUsageError(`unknown argument "${arg}"`);
    }
  }
  return {
    quick,
    format,
    runs: runs ?? (quick ? 1 : 3),
    measureSeconds: quick ? 2 : 5,
    warmupSeconds: quick ? 0.5 : 1,
    replayMessages: quick ? 100_000 : 1_000_000,
    independentReplayMessages: quick ? 100_000 : 300_000,
    ingestMessages: quick ? 100_000 : 500_000,
    only,
    filter,
    resultsDir,
  };
}
