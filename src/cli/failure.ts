import { isLbError } from "../client/index.js";
import { UsageError } from "./usage-error.js";

export const EXIT_OK = 0;
/** Server-side failure, not found, failed or missing ack. */
export const EXIT_FAILURE = 1;
/** Bad usage: flags, arguments, missing confirmation. */
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

export interface Failure {
  /** The one line for stderr, without the "lb:" prefix. */
  message: string;
  exitCode: number;
  /** Machine-readable extras for --json errors. */
  details?: Record<string, unknown>;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Errors oclif raises while parsing argv (CLIError and its parse-error subclasses). */
interface OclifError extends Error {
  oclif: { exit?: number };
  args?: { name?: string }[];
}

function isOclifError(err: unknown): err is OclifError {
  return err instanceof Error && "oclif" in err;
}

/**
 * oclif's parse errors span lines ("Parsing --partitions\n\tExpected an integer...\nSee more
 * help with --help"); keep the one line that says what is wrong.
 */
export function foldOclifMessage(err: OclifError): string {
  if (err.message.startsWith("Missing") && err.args?.length) {
    const names = err.args.map((arg) => (arg.name ?? "").toUpperCase()).filter(Boolean);
    return `missing argument${names.length === 1 ? "" : "s"} ${names.join(", ")}`;
  }
  const lines = err.message
    .replace(ANSI, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== "See more help with --help");
  const [first = err.message, second] = lines;
  const parsing = /^Parsing (--\S+)$/.exec(first);
  if (parsing && second)
    return second.startsWith(parsing[1]!) ? second : `${parsing[1]}: ${second}`;
  if (/^The following errors? occurred:?$/.test(first) && second) return second;
  return first;
}

/** What to tell the user about an error, and the exit code it deserves. */
export function describeFailure(err: unknown, commandId: string | undefined): Failure {
  const helpHint = `see: lb ${commandId ? `${commandId.replaceAll(":", " ")} ` : ""}--help`;
  if (err instanceof UsageError) {
    return {
      message: withHint(err.message, err.hint ?? helpHint),
      exitCode: EXIT_USAGE,
      details: { kind: "usage" },
    };
  }
  if (isOclifError(err)) {
    return {
      message: withHint(foldOclifMessage(err), helpHint),
      exitCode: err.oclif.exit ?? EXIT_USAGE,
      details: { kind: "usage" },
    };
  }
  if (isLbError(err)) {
    // Rejected before anything was sent: the input was wrong, not the server.
    const clientSide = err.kind === "invalid_argument" && err.grpcCode === undefined;
    return {
      message: withHint(err.message, err.hint ?? (clientSide ? helpHint : undefined)),
      exitCode: clientSide ? EXIT_USAGE : EXIT_FAILURE,
      details: { kind: clientSide ? "usage" : err.kind },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: withHint(message, "run with --debug for details"), exitCode: EXIT_FAILURE };
}

function withHint(message: string, hint: string | undefined): string {
  return hint ? `${message} (${hint})` : message;
}
