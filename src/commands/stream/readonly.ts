import { Args, Flags } from "@oclif/core";
import { parsePartitionList } from "../../cli/flag-values.js";
import { LbCommand } from "../../cli/lb-command.js";
import { partitionRows, printPartitionRows } from "../../cli/partition-rows.js";

export default class StreamReadonly extends LbCommand<typeof StreamReadonly> {
  static override summary = "Make partitions read-only (or writable again with --off).";
  static override description =
    "Publishes to a read-only partition are refused; its subscribers read to the end and are told the partition is read-only.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders -p 1",
    "<%= config.bin %> <%= command.id %> orders --off",
  ];

  static override args = {
    name: Args.string({ description: "Stream to change.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partitions to change, e.g. 0,2 (default: all).",
      helpValue: "P[,P...]",
    }),
    off: Flags.boolean({ summary: "Remove the read-only flag." }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const partitions = this.flags.partition ? parsePartitionList(this.flags.partition) : [];
    const client = await this.connect();
    await client.setStreamReadonly(name, { partitions, readonly: !this.flags.off });
    const rows = await partitionRows(client, name, partitions);
    await printPartitionRows(this.output, rows, "readonly", this.flags.json);
  }
}
