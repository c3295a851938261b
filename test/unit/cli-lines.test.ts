import { Readable } from "node:stream";
import test from "ava";
import { parseDelimiter, readLines, readRecords } from "../../src/cli/lines.js";

async function collect(chunks: (Uint8Array | string)[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(Readable.from(chunks))) lines.push(line.toString("hex"));
  return lines;
}

const hex = (text: string) => Buffer.from(text).toString("hex");

test("lines split at newlines across chunk boundaries", async (t) => {
  t.deepEqual(await collect([Buffer.from("a\nb"), Buffer.from("c\n"), Buffer.from("d")]), [
    hex("a"),
    hex("bc"),
    hex("d"),
  ]);
});

test("a trailing newline does not make an extra empty line; blank lines in between do count", async (t) => {
  t.deepEqual(await collect([Buffer.from("a\n\nb\n")]), [hex("a"), hex(""), hex("b")]);
  t.deepEqual(await collect([]), []);
});

test("bytes are passed through untouched: binary, invalid UTF-8; only a CR ending a line goes", async (t) => {
  const binary = Buffer.from([0xff, 0x00, 0x0d, 0xfe, 0x0d, 0x0a, 0x80, 0x0d]);
  t.deepEqual(await collect([binary]), ["ff000dfe", "80"]);
});

test("records split at any delimiter, across chunks, CRs kept; NUL works", async (t) => {
  const records: string[] = [];
  const input = Readable.from([Buffer.from("a\r\n|"), Buffer.from("|b|"), Buffer.from("|c")]);
  for await (const r of readRecords(input, { delimiter: Buffer.from("||") })) {
    records.push(r.toString());
  }
  t.deepEqual(records, ["a\r\n", "b", "c"]);
  const nul: string[] = [];
  for await (const r of readRecords(Readable.from([Buffer.from("x\ny\0z\0")]), {
    delimiter: parseDelimiter("\\0", "-D"),
  })) {
    nul.push(r.toString());
  }
  t.deepEqual(nul, ["x\ny", "z"]);
});

test("delimiters take kcat's escapes and refuse the empty string", (t) => {
  t.deepEqual(parseDelimiter("\\n", "-D"), Buffer.from("\n"));
  t.deepEqual(parseDelimiter("\\t:\\\\", "-D"), Buffer.from("\t:\\"));
  t.deepEqual(parseDelimiter(":", "-K"), Buffer.from(":"));
  t.throws(() => parseDelimiter("", "-D"), { message: /-D "": expected one or more characters/ });
});

test("each line is its own copy, unaffected by later chunks", async (t) => {
  const chunk = Buffer.from("ab\ncd");
  const lines: Buffer[] = [];
  for await (const line of readLines(Readable.from([chunk]))) {
    lines.push(line);
    chunk.fill(0x7a);
  }
  t.deepEqual(
    lines.map((line) => line.toString()),
    ["ab", "cd"],
  );
});
