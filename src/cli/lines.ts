/**
 * Splits a byte stream into lines at "\n" without decoding them, so binary and invalid UTF-8
 * survive untouched. The newline is not part of the line; a final line without one still counts.
 */
export async function* readLines(
  input: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const bytes =
      typeof chunk === "string"
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let data = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      yield Buffer.from(data.subarray(0, newline));
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    pending = Buffer.from(data);
  }
  if (pending.length > 0) yield pending;
}
