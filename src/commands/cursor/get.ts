import { CURSOR_DESCRIPTION, cursorArgs, cursorFlags } from "../../cli/cursor-flags.js";
import { LbCommand } from "../../cli/lb-command.js";
import { requireStreamPartition } from "../../cli/require-partition.js";

export default class CursorGet extends LbCommand<typeof CursorGet> {
  static override summary = "Print a consumer's stored offset (-1 if never set).";
  static override description = CURSOR_DESCRIPTION;
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders --id billing",
    "<%= config.bin %> <%= command.id %> orders --id billing -p 2 --json",
  ];

  static override args = cursorArgs;

  static override flags = cursorFlags;

  async run(): Promise<void> {
    const { stream } = this.args;
    const { id, partition } = this.flags;
    const client = await this.connect();
    await requireStreamPartition(client, stream, partition);
    const offset = await client.fetchCursor(stream, partition, id);
    if (this.flags.json) await this.output.jsonLine({ stream, partition, cursorId: id, offset });
    else this.output.line(String(offset));
  }
}
