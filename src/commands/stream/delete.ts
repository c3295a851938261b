import { Args, Flags } from "@oclif/core";
import { canPrompt, confirm } from "../../cli/confirm.js";
import { LbCommand } from "../../cli/lb-command.js";
import { UsageError } from "../../cli/usage-error.js";
import { LbError } from "../../client/index.js";

export default class StreamDelete extends LbCommand<typeof StreamDelete> {
  static override summary = "Delete a stream and all of its partitions.";
  static override description = "Asks for confirmation on a terminal; elsewhere --yes is required.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders --yes",
    "<%= config.bin %> <%= command.id %> orders --yes --json",
  ];

  static override args = {
    name: Args.string({
      description: "Name of the stream to delete.",
      required: true,
      ignoreStdin: true,
    }),
  };

  static override flags = {
    yes: Flags.boolean({ char: "y", summary: "Delete without asking." }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const interactive = !this.flags.yes && canPrompt();
    if (!this.flags.yes && !interactive) {
      throw new UsageError(
        `refusing to delete stream "${name}" without confirmation`,
        "pass --yes to delete without a terminal",
      );
    }
    const client = await this.connect();
    if (interactive) {
      const stream = (await client.fetchMetadata([name])).stream(name);
      if (!stream) {
        throw new LbError("not_found", `stream "${name}" not found`, {
          hint: "see: lb stream list",
        });
      }
      const partitions = stream.partitions.length;
      const what = `${name} (${partitions} partition${partitions === 1 ? "" : "s"})`;
      if (!(await confirm(`Delete ${what}?`))) {
        this.output.info("not deleted");
        return;
      }
    }
    await client.deleteStream(name);
    if (this.flags.json) {
      this.output.json({ stream: name, result: "deleted" });
    } else {
      this.output.table(["STREAM", "RESULT"], [[name, "deleted"]]);
    }
  }
}
