import { Args, Flags } from "@oclif/core";
import { LbCommand } from "../../cli/lb-command.js";

export default class CursorGet extends LbCommand<typeof CursorGet> {
  static override summary = "Print a consumer's stored offset (-1 if never set).";
  static override description =
    "Cursors live in the internal __cursors stream; the broker needs cursors.stream.partitions > 0.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders --id billing",
    "<%= config.bin %> <%= command.id %> orders --id billing -p 2 --json",
  ];

  static override args = {
    stream: Args.string({
      description: "Stream the cursor is for.",
      required: true,
      ignoreStdin: true,
    }),
  };

  static override flags = {
    id: Flags.string({ summary: "Cursor id (one per consumer).", required: true }),
    partition: Flags.integer({ char: "p", summary: "Partition.", default: 0, min: 0 }),
  };

  async run(): Promise<void> {
    const { stream } = this.args;
    const { id, partition } = this.flags;
    const client = await this.connect();
    const offset = await client.fetchCursor(stream, partition, id);
    if (this.flags.json) await this.output.jsonLine({ stream, partition, cursorId: id, offset });
    else this.output.line(String(offset));
  }
}
