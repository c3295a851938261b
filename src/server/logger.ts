import { redactSecrets } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Writes to stderr: readable text on a terminal, one JSON object per line otherwise, so that
 * a broker under a supervisor or CI produces machine-readable logs.
 */
export function createLogger(
  level: LogLevel,
  options: { json?: boolean; stream?: NodeJS.WritableStream } = {},
): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.json ?? !(process.stderr as { isTTY?: boolean }).isTTY;
  const threshold = LEVELS[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lvl] < threshold) return;
    const time = new Date().toISOString();
    if (json) {
      stream.write(
        `${redactSecrets(JSON.stringify({ time, level: lvl, msg, ...fields }, jsonReplacer))}\n`,
      );
      return;
    }
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonReplacer)}`)
          .join(" ")
      : "";
    stream.write(
      redactSecrets(`${time} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ""}\n`),
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}
