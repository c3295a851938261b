/** How bytes appear in JSON output: the text when it is valid UTF-8, base64 otherwise. */
export type JsonBytes = string | { b64: string };

// ignoreBOM keeps a leading U+FEFF instead of silently dropping it: bytes are never mangled.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function bytesToJson(bytes: Uint8Array): JsonBytes {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return {
      b64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    };
  }
}
