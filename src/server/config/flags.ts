/** A command-line flag of `lb serve`, as upstream's `liftbridge` binary defines it. */
export interface FlagSpec {
  /** Long name: `--data-dir`. */
  name: string;
  /** Other long names: `--data`, `--id`, `--ns`, `--nc`. */
  aliases: readonly string[];
  /** Single-letter form: `-d`. */
  char?: string;
  /** The configuration key the flag sets; null for `--config`, which names the YAML file. */
  key: string | null;
  type: "string" | "int" | "bool" | "list";
  description: string;
}

/**
 * Flags accepted by `lb serve`. List flags take comma-separated values (and may repeat); the
 * serve command passes each flag the user set as `flags[spec.key]`, so that precedence
 * (flags > env > file > defaults) is decided in one place, by loadConfig.
 */
export const FLAG_KEYS: readonly FlagSpec[] = [
  {
    name: "config",
    aliases: [],
    char: "c",
    key: null,
    type: "string",
    description: "load configuration from this YAML file",
  },
  {
    name: "server-id",
    aliases: ["id"],
    key: "clustering.server.id",
    type: "string",
    description: "ID of this broker when none is stored yet (default: generated)",
  },
  {
    name: "namespace",
    aliases: ["ns"],
    key: "clustering.namespace",
    type: "string",
    description: 'cluster namespace (default: "liftbridge-default")',
  },
  {
    name: "nats-servers",
    aliases: [],
    char: "n",
    key: "nats.servers",
    type: "list",
    description:
      "connect to the NATS servers at ADDR[,ADDR] (default: run an embedded nats-server)",
  },
  {
    name: "embedded-nats",
    aliases: [],
    char: "e",
    key: "nats.embedded",
    type: "bool",
    description: "run a nats-server child process and connect to it",
  },
  {
    name: "embedded-nats-config",
    aliases: ["nc"],
    key: "nats.embedded.config",
    type: "string",
    description: "configuration file for the embedded nats-server",
  },
  {
    name: "data-dir",
    aliases: ["data"],
    char: "d",
    key: "data.dir",
    type: "string",
    description: 'store data in this directory (default: "/tmp/liftbridge/<namespace>")',
  },
  {
    name: "port",
    aliases: [],
    char: "p",
    key: "port",
    type: "int",
    description: "port to bind to and advertise (default: 9292)",
  },
  {
    name: "host",
    aliases: [],
    key: "host",
    type: "string",
    description: "host to advertise to clients (and to bind to when listen is unset)",
  },
  {
    name: "tls-cert",
    aliases: [],
    key: "tls.cert",
    type: "string",
    description: "server certificate file",
  },
  {
    name: "tls-key",
    aliases: [],
    key: "tls.key",
    type: "string",
    description: "private key file of the server certificate",
  },
  {
    name: "level",
    aliases: [],
    char: "l",
    key: "logging.level",
    type: "string",
    description: 'logging level [debug|info|warn|error] (default: "info")',
  },
  {
    name: "raft-bootstrap-seed",
    aliases: [],
    key: "clustering.raft.bootstrap.seed",
    type: "bool",
    description: "with no Raft state yet, bootstrap a cluster with this broker as leader",
  },
  {
    name: "raft-bootstrap-peers",
    aliases: [],
    key: "clustering.raft.bootstrap.peers",
    type: "list",
    description:
      "with no Raft state yet, bootstrap a cluster with these server IDs (comma-separated)",
  },
];

/** The flag that sets a configuration key, for error messages ("flag --port"). */
export function flagForKey(key: string): FlagSpec | undefined {
  return FLAG_KEYS.find((flag) => flag.key === key);
}
