import { Args, Flags } from "@oclif/core";
import { parsePartitionList } from "../../cli/flag-values.js";
import { LbCommand } from "../../cli/lb-command.js";
import { partitionRows, printPartitionRows } from "../../cli/partition-rows.js";

export default class StreamPause extends LbCommand<typeof StreamPause> {
  static override summary = "Pause partitions: they close their files and stop recording.";
  static override description =
    "A paused partition resumes when a message is published to it through the API, or when a subscriber asks to resume it (lb stream resume). With --resume-all, the first such publish resumes every partition.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders -p 0,2",
    "<%= config.bin %> <%= command.id %> orders --resume-all --json",
  ];

  static override args = {
    name: Args.string({ description: "Stream to pause.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partitions to pause, e.g. 0,2 (default: all).",
      helpValue: "P[,P...]",
    }),
    "resume-all": Flags.boolean({
      summary: "Resume every partition on the next publish to any of them.",
    }),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const partitions = this.flags.partition ? parsePartitionList(this.flags.partition) : [];
    const client = await this.connect();
    await client.pauseStream(name, { partitions, resumeAll: this.flags["resume-all"] });
    const rows = await partitionRows(client, name, partitions);
    await printPartitionRows(this.output, rows, "paused", this.flags.json);
  }
}
