/**
 * Splits a byte stream into lines at "\n" without decoding them, so binary and invalid UTF-8
 * survive untouched. The newline is not part of the line; a final line without one still counts.
 * Every line is a copy: nothing yielded changes if the source reuses its chunks.
 */
export async function* readLines(
  input: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk);
    let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    const lines: Buffer[] = [];
    for (let newline = data.indexOf(0x0a); newline !== -1; newline = data.indexOf(0x0a)) {
      lines.push(data.subarray(0, newline));
      data = data.subarray(newline + 1);
    }
    pending = data;
    yield* lines;
  }
  if (pending.length > 0) yield pending;
}
