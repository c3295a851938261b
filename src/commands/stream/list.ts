import { Flags } from "@oclif/core";
import { LbCommand } from "../../cli/lb-command.js";
import { STREAM_TABLE_HEADERS, streamTableRow, summarizeStream } from "../../cli/stream-summary.js";

export default class StreamList extends LbCommand<typeof StreamList> {
  static override summary = "List streams.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> -q",
    "<%= config.bin %> <%= command.id %> --json --address 10.0.0.5:9292",
  ];

  static override flags = {
    quiet: Flags.boolean({ char: "q", summary: "Print stream names only, one per line." }),
  };

  async run(): Promise<void> {
    const client = await this.connect();
    const streams = (await client.fetchMetadata()).streams.map(summarizeStream);
    if (this.flags.json) {
      this.output.json(this.flags.quiet ? streams.map((s) => s.name) : streams);
    } else if (this.flags.quiet) {
      for (const stream of streams) this.output.line(stream.name);
    } else {
      this.output.table(STREAM_TABLE_HEADERS, streams.map(streamTableRow));
    }
  }
}
