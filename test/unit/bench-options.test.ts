import test from "ava";
import { isSelected } from "../../bench/bench.js";
import { BenchUsageError, parseBenchArgs } from "../../bench/options.js";

test("the full run takes 3 runs and a million messages to replay; --quick is smaller", (t) => {
  const full = parseBenchArgs([]);
  t.is(full.runs, 3);
  t.is(full.replayMessages, 1_000_000);
  t.is(full.format, "table");
  t.false(full.quick);
  const quick = parseBenchArgs(["--quick"]);
  t.true(quick.quick);
  t.is(quick.runs, 1);
  t.true(quick.replayMessages < full.replayMessages);
  t.true(quick.measureSeconds < full.measureSeconds);
});

test("output format, runs, scenario and contender filters", (t) => {
  const options = parseBenchArgs(["--json", "--runs", "5", "--only=a,C", "--filter", "Sync=None"]);
  t.is(options.format, "json");
  t.is(options.runs, 5);
  t.deepEqual(options.only, ["a", "c"]);
  t.is(options.filter, "sync=none");
  t.deepEqual(parseBenchArgs(["--only", "g,g2"]).only, ["g", "g2"]);
  t.is(parseBenchArgs(["--markdown"]).format, "markdown");
  t.is(parseBenchArgs(["--results", "/tmp/x"]).resultsDir, "/tmp/x");
});

test("bad arguments name the flag, the value and what was expected", (t) => {
  const runs = t.throws(() => parseBenchArgs(["--runs", "0"]), { instanceOf: BenchUsageError });
  t.regex(runs.message, /--runs: got "0", expected an integer from 1 to 100/);
  const only = t.throws(() => parseBenchArgs(["--only", "a,z"]), { instanceOf: BenchUsageError });
  t.regex(only.message, /--only: got scenario "z", expected some of a, b, c, d, e, f, g, g1/);
  t.throws(() => parseBenchArgs(["--runs"]), { message: /--runs: expected a value/ });
  t.throws(() => parseBenchArgs(["--fast"]), { message: /unknown argument "--fast"/ });
});

test("--only g selects g1, g2 and g3; --only g2 just that one", (t) => {
  t.true(isSelected("g1", ["g"]));
  t.true(isSelected("g3", ["a", "g"]));
  t.true(isSelected("g2", ["g2"]));
  t.false(isSelected("g1", ["g2"]));
  t.false(isSelected("a", ["g"]));
  t.true(isSelected("e", []));
});
