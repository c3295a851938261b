import { Args } from "@oclif/core";
import { LbCommand } from "../../cli/lb-command.js";

export default class GroupDescribe extends LbCommand<typeof GroupDescribe> {
  static override summary = "Show a consumer group's members and the partitions each is assigned.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> billing",
    "<%= config.bin %> <%= command.id %> billing --json",
  ];

  static override args = {
    group: Args.string({ description: "The group id.", required: true, ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const client = await this.connect();
    const [group] = (await client.describeGroups([this.args.group])).groups;
    if (!group) return;
    if (this.flags.json) {
      this.output.json(group);
      return;
    }
    this.output.line(
      `group ${group.groupId}  coordinator ${group.coordinator}  epoch ${group.epoch}  members ${group.members.length}`,
    );
    const rows = group.members.flatMap((member) =>
      member.streams.map((stream) => {
        const assigned = member.assignments.find((a) => a.stream === stream)?.partitions ?? [];
        return [member.consumerId, stream, assigned.length ? assigned.join(",") : "-"];
      }),
    );
    this.output.table(["CONSUMER", "STREAM", "PARTITIONS"], rows);
  }
}
