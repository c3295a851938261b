import { Readable } from "node:stream";
import test from "ava";
import { readLines } from "../../src/cli/lines.js";

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

test("bytes are passed through untouched: binary, invalid UTF-8, carriage returns", async (t) => {
  const binary = Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a, 0x80]);
  t.deepEqual(await collect([binary]), ["ff00fe0d", "80"]);
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
