import test from "ava";
import {
  parseHeaderFlag,
  parseHeaderFlags,
  parseNonNegativeInteger,
  parsePartitionList,
} from "../../src/cli/flag-values.js";
import { UsageError } from "../../src/cli/usage-error.js";

test("-H key=value splits at the first equals sign and keeps case", (t) => {
  t.deepEqual(parseHeaderFlag("source=web"), ["source", "web"]);
  t.deepEqual(parseHeaderFlag("X-Trace=a=b=c"), ["X-Trace", "a=b=c"]);
  t.deepEqual(parseHeaderFlag("empty="), ["empty", ""]);
  t.deepEqual(parseHeaderFlag("spaced = yes "), ["spaced ", " yes "]);
});

test("repeated -H flags collect into one object; a key given twice is refused", (t) => {
  t.deepEqual(parseHeaderFlags(["a=1", "B=2"]), { a: "1", B: "2" });
  t.throws(() => parseHeaderFlags(["a=1", "B=2", "a=3"]), {
    message: '--header "a" given twice ("1" and "3"): a header holds one value per key',
  });
  t.deepEqual(parseHeaderFlags([]), {});
});

test("a header without KEY= is refused with the flag and the value", (t) => {
  for (const text of ["novalue", "=value", ""]) {
    t.throws(() => parseHeaderFlag(text), {
      instanceOf: UsageError,
      message: `--header "${text}": expected KEY=VALUE with a non-empty KEY`,
    });
  }
});

test("partition lists accept one id or a comma list, in order, without duplicates", (t) => {
  t.deepEqual(parsePartitionList("0"), [0]);
  t.deepEqual(parsePartitionList("2,0, 1"), [2, 0, 1]);
  t.deepEqual(parsePartitionList("1,1,3"), [1, 3]);
});

test("bad partition lists name the flag and the value", (t) => {
  t.throws(() => parsePartitionList("0,"), {
    instanceOf: UsageError,
    message: '--partition "0,": expected a partition number or a list like 0,2',
  });
  t.throws(() => parsePartitionList("-1"), {
    message: '--partition "-1": expected a whole number (0 or more)',
  });
  t.throws(() => parsePartitionList("1.5"), {
    message: '--partition "1.5": expected a whole number (0 or more)',
  });
  t.throws(() => parseNonNegativeInteger("99999999999999999999", "--count"), {
    message: '--count "99999999999999999999": expected a whole number (0 or more)',
  });
});
