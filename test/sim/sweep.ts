import { parseArgs } from "node:util";
import { runSeed, SimulationFailure } from "./simulation.js";

/**
 * Long simulation sweep:
 *   node dist/test/sim/sweep.js --seeds 5000 [--from 1]
 *   SIM_SEED=N [SIM_TRACE=1] node dist/test/sim/sweep.js      # replay one seed
 * Exits 1 on the first failing seed, printing seed=N and how to replay it.
 */
function main(): number {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "5000" },
      from: { type: "string", default: "1" },
    },
  });
  const single = process.env.SIM_SEED;
  const trace = process.env.SIM_TRACE === "1";
  const count = single ? 1 : Number(values.seeds);
  const from = single ? Number(single) : Number(values.from);
  for (const [name, value] of [
    ["--seeds", count],
    ["--from", from],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      console.error(`${name} ${value}: expected a non-negative integer`);
      return 2;
    }
  }
  const started = Date.now();
  let committed = 0;
  let crashes = 0;
  for (let seed = from; seed < from + count; seed++) {
    try {
      const stats = runSeed(seed, { trace });
      committed += stats.committed;
      crashes += stats.crashes;
      if (single) console.log(`seed=${seed} ok ${JSON.stringify(stats)}`);
    } catch (err) {
      if (err instanceof SimulationFailure) {
        console.error(err.message);
        return 1;
      }
      throw err;
    }
    if (!single && (seed - from + 1) % 500 === 0) {
      console.log(
        `${seed - from + 1}/${count} seeds ok (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  }
  console.log(
    `${count} seeds ok (${from}..${from + count - 1}), ${committed} entries committed, ${crashes} crashes, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

process.exitCode = main();
