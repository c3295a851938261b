import { Flags } from "@oclif/core";
import { LbCommand } from "../../cli/lb-command.js";

export default class GroupList extends LbCommand<typeof GroupList> {
  static override summary = "List consumer groups.";
  static override description =
    "Every consumer group the cluster's metadata holds, with its coordinator, epoch, members and streams (lb.admin.Admin/DescribeGroups; upstream has no call that lists groups).";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> -q",
    "<%= config.bin %> <%= command.id %> --json",
  ];

  static override flags = {
    quiet: Flags.boolean({ char: "q", summary: "Print group names only, one per line." }),
  };

  async run(): Promise<void> {
    const client = await this.connect();
    const { groups } = await client.describeGroups();
    const sorted = [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId));
    if (this.flags.json) {
      this.output.json(this.flags.quiet ? sorted.map((g) => g.groupId) : sorted);
    } else if (this.flags.quiet) {
      for (const group of sorted) this.output.line(group.groupId);
    } else {
      this.output.table(
        ["GROUP", "COORDINATOR", "EPOCH", "MEMBERS", "STREAMS"],
        sorted.map((g) => [
          g.groupId,
          g.coordinator,
          String(g.epoch),
          String(g.members.length),
          [...new Set(g.members.flatMap((m) => m.streams))].sort().join(",") || "-",
        ]),
      );
    }
  }
}
