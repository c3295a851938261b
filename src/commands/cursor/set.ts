import { Flags } from "@oclif/core";
import { CURSOR_DESCRIPTION, cursorArgs, cursorFlags } from "../../cli/cursor-flags.js";
import { LbCommand } from "../../cli/lb-command.js";
import { requireStreamPartition } from "../../cli/require-partition.js";

export default class CursorSet extends LbCommand<typeof CursorSet> {
  static override summary = "Store a consumer's offset in a stream partition.";
  static override description = CURSOR_DESCRIPTION;
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders --id billing --offset 42",
    "<%= config.bin %> <%= command.id %> orders --id billing -p 2 --offset 7 --json",
  ];

  static override args = cursorArgs;

  static override flags = {
    ...cursorFlags,
    offset: Flags.integer({ summary: "Offset to store.", required: true, min: -1 }),
  };

  async run(): Promise<void> {
    const { stream } = this.args;
    const { id, partition, offset } = this.flags;
    const client = await this.connect();
    await requireStreamPartition(client, stream, partition);
    await client.setCursor(stream, partition, id, offset);
    if (this.flags.json) await this.output.jsonLine({ stream, partition, cursorId: id, offset });
    else this.output.line(String(offset));
  }
}
