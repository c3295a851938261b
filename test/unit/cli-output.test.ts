import test from "ava";
import { colorEnabled, renderTable } from "../../src/cli/output.js";

test("tables line up columns two spaces apart without trailing padding", (t) => {
  t.is(
    renderTable(
      ["STREAM", "PARTITIONS", "REPLICAS", "RESULT"],
      [
        ["orders", "3", "3", "created"],
        ["audit-log", "1", "1", "exists"],
      ],
    ),
    "STREAM     PARTITIONS  REPLICAS  RESULT\n" +
      "orders     3           3         created\n" +
      "audit-log  1           1         exists\n",
  );
  t.is(renderTable(["NAME"], []), "NAME\n");
});

test("colour only on a terminal, and never with NO_COLOR or --no-color", (t) => {
  t.true(colorEnabled({ isTTY: true }, true, {}));
  t.false(colorEnabled({ isTTY: false }, true, {}));
  t.false(colorEnabled({}, true, {}));
  t.false(colorEnabled({ isTTY: true }, false, {}));
  t.false(colorEnabled({ isTTY: true }, true, { NO_COLOR: "1" }));
  t.true(colorEnabled({ isTTY: true }, true, { NO_COLOR: "" }));
});
