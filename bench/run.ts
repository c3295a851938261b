/**
 * `npm run bench`: lb against NATS JetStream on this machine.
 *
 *   node dist/bench/run.js [--quick] [--json | --markdown] [--runs N] [--only a,c] [--results DIR]
 */
import { runBench } from "./bench.js";
import { BenchUsageError, parseBenchArgs } from "./options.js";

try {
  const outcome = await runBench(parseBenchArgs(process.argv.slice(2)));
  process.stdout.write(outcome.output);
  process.stderr.write(`results saved to ${outcome.savedTo}\n`);
} catch (err) {
  process.stderr.write(
    `bench: ${err instanceof BenchUsageError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exitCode = err instanceof BenchUsageError ? 2 : 1;
}
