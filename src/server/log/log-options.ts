import { MAX_U32, RECORD_HEADER_BYTES } from "./record-format.js";
import type { LogOptions } from "./types.js";

export const DEFAULT_SEGMENT_MAX_BYTES = 256 * 1024 * 1024;

export type ResolvedLogOptions = Required<LogOptions>;

/** Fills in defaults and rejects values the log cannot honour, naming the option. */
export function resolveLogOptions(options: LogOptions = {}): ResolvedLogOptions {
  const { segmentMaxBytes = DEFAULT_SEGMENT_MAX_BYTES, sync = "none" } = options;
  if (
    !Number.isInteger(segmentMaxBytes) ||
    segmentMaxBytes < RECORD_HEADER_BYTES ||
    segmentMaxBytes > MAX_U32
  ) {
    throw new RangeError(
      `segmentMaxBytes is ${String(segmentMaxBytes)}, expected an integer from ${RECORD_HEADER_BYTES} to ${MAX_U32}`,
    );
  }
  if (sync !== "always" && sync !== "none") {
    throw new RangeError(`sync is ${JSON.stringify(sync)}, expected "always" or "none"`);
  }
  return { segmentMaxBytes, sync };
}
