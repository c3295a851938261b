/**
 * The key of a stored record body (a protobuf `Message`): field 2, found by walking the wire
 * format without decoding anything else. Used as the commit log's `keyOf` for compaction.
 */

const KEY_FIELD = 2;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/**
 * Field 2's bytes (the last occurrence, as protobuf merges them), or undefined when the key
 * is absent or empty (proto3 cannot tell the two apart) or the body is not well-formed
 * protobuf: such records have no key, so compaction always keeps them.
 */
export function messageKey(body: Uint8Array): Uint8Array | undefined {
  let key: Uint8Array | undefined;
  let at = 0;
  while (at < body.length) {
    const tag = readVarint(body, at);
    if (!tag) return undefined;
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    switch (tag.value % 8) {
      case VARINT: {
        const value = readVarint(body, at);
        if (!value) return undefined;
        at = value.next;
        break;
      }
      case FIXED64:
        at += 8;
        break;
      case FIXED32:
        at += 4;
        break;
      case LENGTH_DELIMITED: {
        const length = readVarint(body, at);
        if (!length || length.next + length.value > body.length) return undefined;
        if (field === KEY_FIELD) key = body.subarray(length.next, length.next + length.value);
        at = length.next + length.value;
        break;
      }
      default:
        return undefined;
    }
  }
  if (at > body.length) return undefined;
  return key && key.length > 0 ? key : undefined;
}

/**
 * A varint at `at` (up to 10 bytes; values past 2^53 lose precision, which only matters for
 * skipped fields), or undefined if malformed.
 */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}
