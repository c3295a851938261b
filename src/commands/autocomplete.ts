import { Args, Command } from "@oclif/core";

/** Each command (words as typed) and its flags, --long and -c. */
function commandTable(commands: readonly Command.Loadable[]): [string, string[]][] {
  return commands
    .filter((command) => !command.hidden)
    .map((command) => {
      const flags = Object.entries(command.flags ?? {}).flatMap(([name, flag]) => [
        `--${name}`,
        ...(flag.char ? [`-${flag.char}`] : []),
        ...(flag.type === "boolean" && flag.allowNo ? [`--no-${name}`] : []),
      ]);
      return [command.id.replaceAll(":", " "), [...new Set([...flags, "--help"])]] as [
        string,
        string[],
      ];
    })
    .sort(([a], [b]) => a.localeCompare(b));
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** A bash completion function (zsh runs it through bashcompinit). */
function bashScript(table: [string, string[]][]): string {
  const commands = table.map(([id]) => quote(id)).join(" ");
  const flags = table.map(([id, f]) => `  [${quote(id)}]=${quote(f.join(" "))}`).join("\n");
  return `# lb shell completion: eval "$(lb autocomplete bash)" in ~/.bashrc
_lb_commands=(${commands})
declare -A _lb_flags=(
${flags}
)
_lb() {
  local cur=\${COMP_WORDS[COMP_CWORD]} w c cmd="" line
  local typed=()
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do [[ $w == -* ]] || typed+=("$w"); done
  line="\${typed[*]}"
  for c in "\${_lb_commands[@]}"; do
    if [[ "$line" == "$c" || "$line" == "$c "* ]] && (( \${#c} > \${#cmd} )); then cmd=$c; fi
  done
  if [[ -n $cmd ]]; then
    [[ $cur == -* ]] && COMPREPLY=($(compgen -W "\${_lb_flags[$cmd]}" -- "$cur"))
    return
  fi
  local next=()
  for c in "\${_lb_commands[@]}"; do
    if [[ -z $line ]]; then next+=("\${c%% *}")
    elif [[ "$c" == "$line "* ]]; then c=\${c#"$line "}; next+=("\${c%% *}"); fi
  done
  COMPREPLY=($(compgen -W "$(printf '%s\\n' "\${next[@]}" | sort -u)" -- "$cur"))
}
complete -o default -F _lb lb
`;
}

export default class Autocomplete extends Command {
  static override summary = "Print a shell completion script for lb (bash or zsh).";
  static override description =
    "Completes command names and each command's flags. Install it once per shell.";
  static override examples = [
    `echo 'eval "$(<%= config.bin %> <%= command.id %> bash)"' >> ~/.bashrc`,
    `echo 'autoload -U +X bashcompinit && bashcompinit; eval "$(<%= config.bin %> <%= command.id %> zsh)"' >> ~/.zshrc`,
  ];
  static override args = {
    shell: Args.string({ description: "The shell.", options: ["bash", "zsh"], default: "bash" }),
  };

  async run(): Promise<void> {
    await this.parse(Autocomplete);
    process.stdout.write(bashScript(commandTable(this.config.commands)));
  }
}
