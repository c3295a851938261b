import test from "ava";
import { runSeed } from "../sim/simulation.js";

// Short sweep of the deterministic Raft simulation (the long one: npm run test:sim, i.e.
// node dist/test/sim/sweep.js --seeds 5000). SIM_SEED=N replays one seed; a failure message
// names its seed and the command that replays it with a trace.
const single = process.env.SIM_SEED;
const seeds = single
  ? [Number(single)]
  : Array.from({ length: Number(process.env.SIM_SEEDS ?? 400) }, (_, i) => i + 1);

test(`Raft safety and liveness hold over ${seeds.length} simulated seed(s)`, (t) => {
  let committed = 0;
  let crashes = 0;
  let snapshots = 0;
  let confChanges = 0;
  for (const seed of seeds) {
    const stats = runSeed(seed);
    committed += stats.committed;
    crashes += stats.crashes;
    snapshots += stats.snapshotsInstalled;
    confChanges += stats.confChanges;
  }
  t.log(
    `${seeds.length} seeds: ${committed} entries committed, ${crashes} crashes, ${snapshots} snapshots installed, ${confChanges} membership changes`,
  );
  // The sweep must exercise the machinery, not just idle.
  t.true(committed > seeds.length * 5);
  if (!single) {
    t.true(crashes > 0);
    t.true(snapshots > 0);
    t.true(confChanges > 0);
  }
});

test("a seed replays exactly: the same seed gives the same run", (t) => {
  t.deepEqual(runSeed(42), runSeed(42));
});
