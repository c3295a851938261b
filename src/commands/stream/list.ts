import { Flags } from "@oclif/core";
import { LbCommand } from "../../cli/lb-command.js";
import {
  describeStreamSettings,
  STREAM_TABLE_HEADERS,
  streamTableRow,
  summarizeStream,
} from "../../cli/stream-summary.js";

export default class StreamList extends LbCommand<typeof StreamList> {
  static override summary = "List streams with their settings.";
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
    const metadata = await client.fetchMetadata();
    const settings = this.flags.quiet ? new Map() : await describeStreamSettings(client);
    const streams = metadata.streams.map((s) => summarizeStream(s, settings.get(s.name)));
    if (this.flags.json) {
      this.output.json(this.flags.quiet ? streams.map((s) => s.name) : streams);
    } else if (this.flags.quiet) {
      for (const stream of streams) this.output.line(stream.name);
    } else {
      this.output.table(STREAM_TABLE_HEADERS, streams.map(streamTableRow));
    }
  }
}
