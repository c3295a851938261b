import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/**
 * CRC-32C (Castagnoli) of `data`. Pass a previous result as `initial` to continue a checksum
 * over data split across several buffers.
 */
export function crc32c(data: Uint8Array, initial?: number): number {
  const view = Buffer.isBuffer(data)
    ? data
    : Buffer.from(data.buffer, data.byteOffset, data.length);
  return nativeCrc32c(view, initial);
}
