import { Command, Flags } from "@oclif/core";

/** The suite lives in bench/, which only a clone has: loaded when run, so help works anywhere. */
async function loadSuite() {
  try {
    const [suite, options] = await Promise.all([
      import("../../../bench/bench.js"),
      import("../../../bench/options.js"),
    ]);
    return { ...suite, ...options };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
    return undefined;
  }
}

export default class BenchCompare extends Command {
  static override summary =
    "Benchmark lb against NATS JetStream on this machine (the comparison suite)";

  static override description =
    "Starts its own nats-servers (JetStream with file storage for the baseline), lb brokers as child processes (sync policy always and none) and core NATS, runs every scenario against each, prints a table (msgs/s, MB/s, p50/p99/p99.9 latency, ratio lb / JetStream) and saves the JSON report under bench/results/. Needs the nats-server binary. Same as `npm run bench` without its commit-log micro-benchmark; needs a clone of the repository, not an installed package. To measure a running cluster, see `lb bench`.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --quick",
    "<%= config.bin %> <%= command.id %> --only a,c --runs 5",
    "<%= config.bin %> <%= command.id %> --markdown",
  ];

  static override flags = {
    quick: Flags.boolean({ description: "About a minute: shorter runs, one run per scenario." }),
    json: Flags.boolean({
      description: "Print the JSON report instead of the table.",
      exclusive: ["markdown"],
    }),
    markdown: Flags.boolean({ description: "Print the table as Markdown (for the README)." }),
    runs: Flags.integer({
      description: "Runs per scenario and system (default 3, 1 with --quick).",
    }),
    only: Flags.string({
      description: "Only these scenarios, comma-separated: a,b,c,d,e,f,g1,g2,g3 (g: all three).",
    }),
    filter: Flags.string({
      description: 'Only systems/clients whose description contains this (e.g. "sync=none").',
    }),
    results: Flags.string({
      description: "Directory for the JSON report (default bench/results).",
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchCompare);
    const argv: string[] = [];
    if (flags.quick) argv.push("--quick");
    if (flags.json) argv.push("--json");
    if (flags.markdown) argv.push("--markdown");
    if (flags.runs !== undefined) argv.push("--runs", String(flags.runs));
    if (flags.only !== undefined) argv.push("--only", flags.only);
    if (flags.filter !== undefined) argv.push("--filter", flags.filter);
    if (flags.results !== undefined) argv.push("--results", flags.results);
    const suite = await loadSuite();
    if (!suite) {
      process.stderr.write(
        "lb: the comparison suite is not part of an installed lb (run it from a clone of the repository: npm run bench)\n",
      );
      this.exit(1);
    }
    const { runBench, parseBenchArgs, BenchUsageError } = suite;
    try {
      const outcome = await runBench(parseBenchArgs(argv));
      process.stdout.write(outcome.output);
      process.stderr.write(`results saved to ${outcome.savedTo}\n`);
    } catch (err) {
      if (err instanceof BenchUsageError) {
        process.stderr.write(`lb: ${err.message}\n`);
        this.exit(2);
      }
      throw err;
    }
  }
}
