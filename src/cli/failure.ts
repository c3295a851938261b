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
}

const ANSI = /\u001b\[[0-9;]*m/g;

interface OclifParseError extends Error {
  oclif: { exit?: number };
  parse: unknown;
}

function isOclifParseError(err: unknown): err is OclifParseError {
  return err instanceof Error && "oclif" in err && "parse" in err;
}

/** oclif's parse errors span lines ("Missing 1 required arg:\nname  ..."): fold into one. */
function foldParseMessage(message: string): string {
  return message
    .replace(ANSI, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== "See more help with --help")
    .filter((line) => !/^Parsing --\S+$/.test(line))
    .join(" ")
    .replace(/:\s+/g, ": ")
    .replace(/The following errors? occurred: /, "");
}

/** What to tell the user about an error, and the exit code it deserves. */
export function describeFailure(err: unknown, commandId: string | undefined): Failure {
  const helpHint = `see: lb ${commandId ? `${commandId.replaceAll(":", " ")} ` : ""}--help`;
  if (err instanceof UsageError) {
    return { message: withHint(err.message, err.hint ?? helpHint), exitCode: EXIT_USAGE };
  }
  if (isOclifParseError(err)) {
    return {
      message: withHint(foldParseMessage(err.message), helpHint),
      exitCode: err.oclif.exit ?? EXIT_USAGE,
    };
  }
  if (isLbError(err)) {
    // Rejected before anything was sent: the input was wrong, not the server.
    const clientSide = err.kind === "invalid_argument" && err.grpcCode === undefined;
    return {
      message: withHint(err.message, err.hint ?? (clientSide ? helpHint : undefined)),
      exitCode: clientSide ? EXIT_USAGE : EXIT_FAILURE,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: withHint(message, "run with --debug for details"), exitCode: EXIT_FAILURE };
}

function withHint(message: string, hint: string | undefined): string {
  return hint ? `${message} (${hint})` : message;
}
