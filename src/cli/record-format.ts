import type { Message } from "../client/index.js";
import { formatTimestampNanos } from "./time.js";
import { UsageError } from "./usage-error.js";

type Part = (message: Message) => Uint8Array;
type Encoding = "raw" | "hex" | "base64";

const TOKENS = "%t %p %o %k %v %K %S %s %d %T %h %%";

const text = (s: string): Part => {
  const bytes = Buffer.from(s);
  return () => bytes;
};

function encoded(bytes: Uint8Array, encoding: Encoding): Uint8Array {
  return encoding === "raw" ? bytes : Buffer.from(Buffer.from(bytes).toString(encoding));
}

function headerText(message: Message): Uint8Array {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(message.headers)) {
    if (parts.length) parts.push(Buffer.from(","));
    parts.push(Buffer.from(`${name}=`), Buffer.from(value));
  }
  return Buffer.concat(parts);
}

/**
 * A kcat/rpk-style output format (`lb sub -f '%p %o %k %v\n'`) compiled once: %t stream,
 * %p partition, %o offset, %k key, %v value (either with {hex} or {base64}), %K and %S their
 * sizes in bytes, %s subject, %d timestamp in nanoseconds since the epoch (as --json's
 * timestampNs), %T the same as RFC 3339, %h headers as k=v,k=v, %% a percent sign; escapes
 * \n \r \t \0 \\. Keys, values and headers are written as raw bytes unless encoded.
 */
export function compileFormat(format: string, field = "--format"): (message: Message) => Buffer {
  const parts: Part[] = [];
  let literal = "";
  const flush = () => {
    if (literal) parts.push(text(literal));
    literal = "";
  };
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", "\\": "\\" };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "\\" && escapes[format[i + 1] ?? ""] !== undefined) {
      literal += escapes[format[++i]!];
      continue;
    }
    if (c !== "%") {
      literal += c;
      continue;
    }
    const token = format[++i];
    if (token === "%") {
      literal += "%";
      continue;
    }
    let encoding: Encoding = "raw";
    const option = /^\{(hex|base64)\}/.exec(format.slice(i + 1));
    if (option && (token === "k" || token === "v")) {
      encoding = option[1] as Encoding;
      i += option[0].length;
    }
    flush();
    switch (token) {
      case "t":
        parts.push((m) => Buffer.from(m.stream));
        break;
      case "p":
        parts.push((m) => Buffer.from(String(m.partition)));
        break;
      case "o":
        parts.push((m) => Buffer.from(String(m.offset)));
        break;
      case "k":
        parts.push((m) => encoded(m.key, encoding));
        break;
      case "v":
        parts.push((m) => encoded(m.value, encoding));
        break;
      case "K":
        parts.push((m) => Buffer.from(String(m.key.length)));
        break;
      case "S":
        parts.push((m) => Buffer.from(String(m.value.length)));
        break;
      case "s":
        parts.push((m) => Buffer.from(m.subject));
        break;
      case "d":
        parts.push((m) => Buffer.from(m.timestamp.toString()));
        break;
      case "T":
        parts.push((m) => Buffer.from(formatTimestampNanos(m.timestamp)));
        break;
      case "h":
        parts.push(headerText);
        break;
      default:
        throw new UsageError(
          `${field} "${format}": unknown token "%${token ?? ""}" (known: ${TOKENS})`,
        );
    }
  }
  flush();
  return (message) => Buffer.concat(parts.map((part) => part(message)));
}
