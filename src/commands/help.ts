import { Args, Command, loadHelpClass } from "@oclif/core";
import { unknownCommandMessage } from "../cli/suggest.js";

export default class HelpCommand extends Command {
  static override summary = "Show help for lb or for one command.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> pub",
    "<%= config.bin %> <%= command.id %> stream create",
  ];
  static override strict = false;
  static override args = {
    command: Args.string({
      description: "The command (words as typed, e.g. stream create).",
      required: false,
    }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((word) => !word.startsWith("-"));
    if (words.length > 0) {
      const id = words.join(":");
      const known = this.config.findCommand(id) || this.config.findTopic(id);
      if (!known) {
        process.stderr.write(
          `lb: ${unknownCommandMessage(id, [
            ...this.config.commandIDs,
            ...this.config.topics.map((t) => t.name),
          ])}\n`,
        );
        this.exit(2);
      }
    }
    const Help = await loadHelpClass(this.config);
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(words);
  }
}
