import type { Hook } from "@oclif/core";
import { EXIT_USAGE } from "./failure.js";
import { unknownCommandMessage } from "./suggest.js";

/** oclif's command_not_found hook: one lb-style line with the nearest commands, exit 2. */
const hook: Hook<"command_not_found"> = async (options) => {
  const message = unknownCommandMessage(options.id, [
    ...options.config.commandIDs,
    ...options.config.topics.map((t) => t.name),
  ]);
  const json = (options.argv ?? []).includes("--json");
  process.stderr.write(
    json
      ? `${JSON.stringify({ error: { message, exitCode: EXIT_USAGE, kind: "usage" } })}\n`
      : `lb: ${message}\n`,
  );
  process.exit(EXIT_USAGE);
};

export default hook;
