import { UsageError } from "./usage-error.js";

const NEWLINE = Buffer.from("\n");

export interface RecordSplitting {
  /** Bytes that end a record; default "\n". */
  delimiter?: Uint8Array;
  /** Drop a "\r" before each "\n" (lines from Windows tools); on for the default delimiter. */
  stripCarriageReturn?: boolean;
}

/**
 * Splits a byte stream into records at a delimiter ("\n" by default) without decoding them, so
 * binary and invalid UTF-8 survive untouched. The delimiter is not part of the record; a final
 * record without one still counts. Every record is a copy: nothing yielded changes if the
 * source reuses its chunks.
 */
export async function* readRecords(
  input: AsyncIterable<Uint8Array | string>,
  splitting: RecordSplitting = {},
): AsyncGenerator<Buffer> {
  const delimiter = Buffer.from(splitting.delimiter ?? NEWLINE);
  if (delimiter.length === 0) throw new Error("the record delimiter must not be empty");
  const stripCr = splitting.stripCarriageReturn ?? splitting.delimiter === undefined;
  const finish = (record: Buffer) =>
    stripCr && record.length > 0 && record[record.length - 1] === 0x0d
      ? record.subarray(0, record.length - 1)
      : record;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const bytes = Buffer.from(chunk);
    let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    const records: Buffer[] = [];
    for (let end = data.indexOf(delimiter); end !== -1; end = data.indexOf(delimiter)) {
      records.push(Buffer.from(finish(data.subarray(0, end))));
      data = data.subarray(end + delimiter.length);
    }
    pending = Buffer.from(data);
    yield* records;
  }
  if (pending.length > 0) yield finish(pending);
}

/** Lines at "\n", a trailing "\r" dropped: readRecords with its defaults. */
export function readLines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  return readRecords(input);
}

/**
 * A delimiter as typed on the command line, with kcat's escapes: \n, \r, \t, \0 (NUL) and \\.
 * Anything else stands for itself.
 */
export function parseDelimiter(text: string, field: string): Buffer {
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", "\\": "\\" };
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length && escapes[text[i + 1]!] !== undefined) {
      out += escapes[text[++i]!];
    } else {
      out += c;
    }
  }
  if (out.length === 0) throw new UsageError(`${field} "${text}": expected one or more characters`);
  return Buffer.from(out);
}
