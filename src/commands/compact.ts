import { Args, Flags } from "@oclif/core";
import { parsePartitionList } from "../cli/flag-values.js";
import { LbCommand } from "../cli/lb-command.js";

export default class Compact extends LbCommand<typeof Compact> {
  static override summary = "Compact a stream now: keep the newest message per key.";
  static override description =
    "Runs on each partition's leader, through lb's own admin service. Records without a key are kept, offsets are preserved, and the active segment is left as it is. Prints records and bytes before and after.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders -p 1 --json",
  ];

  static override args = {
    stream: Args.string({ description: "Stream to compact.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partitions to compact, e.g. 0,2 (default: all).",
      helpValue: "P[,P...]",
    }),
  };

  async run(): Promise<void> {
    const { stream } = this.args;
    const partitions = this.flags.partition ? parsePartitionList(this.flags.partition) : [];
    const client = await this.connect();
    const results = await client.compact(stream, partitions);
    if (this.flags.json) {
      for (const r of results) await this.output.jsonLine({ stream, ...r });
      return;
    }
    this.output.table(
      ["PARTITION", "RECORDS BEFORE", "RECORDS AFTER", "BYTES BEFORE", "BYTES AFTER"],
      results.map((r) => [
        String(r.partition),
        String(r.recordsBefore),
        String(r.recordsAfter),
        String(r.bytesBefore),
        String(r.bytesAfter),
      ]),
    );
  }
}
