import { Args, Flags } from "@oclif/core";
import { parsePartitionList } from "../../cli/flag-values.js";
import { LbCommand } from "../../cli/lb-command.js";
import { partitionRows, printPartitionRows } from "../../cli/partition-rows.js";

export default class StreamResume extends LbCommand<typeof StreamResume> {
  static override summary = "Resume paused partitions without publishing to them.";
  static override description =
    "Liftbridge has no resume call: like its clients, this opens a subscription that asks to resume each paused partition, then closes it.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders -p 1",
  ];

  static override args = {
    name: Args.string({ description: "Stream to resume.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partitions to resume, e.g. 0,2 (default: all paused ones).",
      helpValue: "P[,P...]",
    }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const client = await this.connect();
    const requested = this.flags.partition ? parsePartitionList(this.flags.partition) : [];
    const before = await partitionRows(client, name, requested);
    for (const row of before.filter((r) => r.paused)) {
      const subscription = await client.subscribe(name, {
        partition: row.partition,
        start: { kind: "new" },
        resume: true,
      });
      subscription.cancel();
    }
    const rows = await partitionRows(client, name, requested);
    await printPartitionRows(this.output, rows, "paused", this.flags.json);
  }
}
