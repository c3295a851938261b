import { Help } from "@oclif/core";

/**
 * Root help that lists every command, topic commands included, each with its one-line
 * summary: `lb --help` is the whole map (oclif's default shows only topic names).
 */
export default class LbHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    this.log(this.formatRoot());
    this.log("");
    const commands = this.sortedCommands.filter((command) => !command.hidden);
    this.log(this.formatCommands(commands));
    this.log("");
  }
}
