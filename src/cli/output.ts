import { once } from "node:events";
import { Chalk, type ChalkInstance } from "chalk";
import Table from "cli-table3";
import { bytesToJson } from "./bytes-json.js";

interface OutputStream {
  isTTY?: boolean;
  write(chunk: string | Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or --no-color. */
export function colorEnabled(
  stream: { isTTY?: boolean },
  colorFlag: boolean,
  env = process.env,
): boolean {
  return colorFlag && !env.NO_COLOR && stream.isTTY === true;
}

/** JSON.stringify that writes bigints as decimal strings and bytes as text or {"b64": ...}. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return bytesToJson(v);
      return v;
    },
    indent,
  );
}

const BORDERLESS = Object.fromEntries(
  [
    "top",
    "top-mid",
    "top-left",
    "top-right",
    "bottom",
    "bottom-mid",
    "bottom-left",
    "bottom-right",
    "left",
    "left-mid",
    "mid",
    "mid-mid",
    "right",
    "right-mid",
  ].map((key) => [key, ""]),
);

/** Columns lined up two spaces apart (cli-table3 without borders), trailing spaces trimmed. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  styleHeader: (text: string) => string = (text) => text,
): string {
  const table = new Table({
    head: headers.map(styleHeader),
    chars: { ...BORDERLESS, middle: "  " },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split("\n")
    .map((line) => `${line.trimEnd()}\n`)
    .join("");
}

/** Where a command writes: data to stdout, talk to stderr, decorated only on terminals. */
export class Output {
  readonly stdoutColor: ChalkInstance;
  readonly stderrColor: ChalkInstance;

  constructor(
    colorFlag: boolean,
    private readonly stdout: OutputStream = process.stdout,
    private readonly stderr: OutputStream = process.stderr,
    /** --json: errors too are JSON, one object on one line of stderr. */
    private readonly jsonErrors = false,
  ) {
    this.stdoutColor = new Chalk({ level: colorEnabled(stdout, colorFlag) ? 1 : 0 });
    this.stderrColor = new Chalk({ level: colorEnabled(stderr, colorFlag) ? 1 : 0 });
  }

  get stdoutIsTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }

  /** Lined-up columns on a terminal; tab-separated lines (header first) anywhere else. */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    if (!this.stdoutIsTTY) {
      this.stdout.write([headers, ...rows].map((row) => `${row.join("\t")}\n`).join(""));
      return;
    }
    this.stdout.write(renderTable(headers, rows, (text) => this.stdoutColor.bold(text)));
  }

  /** A whole document (describe, list): indented for people, still one valid JSON value. */
  json(value: unknown): void {
    this.stdout.write(`${toJson(value, 2)}\n`);
  }

  /** One record of a stream of records: compact, one per line (JSON Lines). */
  async jsonLine(value: unknown): Promise<void> {
    await this.data(`${toJson(value)}\n`);
  }

  line(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** Writes data to stdout, waiting when the reader is slower than we are. */
  async data(chunk: string | Uint8Array): Promise<void> {
    if (!this.stdout.write(chunk)) await once(this.stdout as NodeJS.WritableStream, "drain");
  }

  /** A line of talk for the person at the terminal (progress, totals, warnings). */
  info(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Raw text on stderr, no newline added (progress lines redrawn in place). */
  talk(text: string): void {
    this.stderr.write(text);
  }

  /**
   * The one error line: "lb: what (hint)"; with --json {"error": {"message": ..., ...details}}
   * so that a script reading stderr gets JSON too.
   */
  error(text: string, details: Record<string, unknown> = {}): void {
    if (this.jsonErrors) {
      this.stderr.write(`${toJson({ error: { message: text, ...details } })}\n`);
      return;
    }
    this.stderr.write(`${this.stderrColor.red("lb:")} ${text}\n`);
  }
}
