import { Command, Flags } from "@oclif/core";

export default class Version extends Command {
  static override summary = "Print lb's version.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --json",
  ];

  static override flags = {
    json: Flags.boolean({ summary: "Print JSON." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const info = {
      version: this.config.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    else process.stdout.write(`lb ${info.version} (node ${info.node}, ${info.platform})\n`);
  }
}
