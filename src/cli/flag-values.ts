import { UsageError } from "./usage-error.js";

/** "-H key=value": splits at the first "=", so values may contain "=" and may be empty. */
export function parseHeaderFlag(text: string, field = "--header"): [string, string] {
  const equals = text.indexOf("=");
  if (equals <= 0) {
    throw new UsageError(`${field} "${text}": expected KEY=VALUE with a non-empty KEY`);
  }
  return [text.slice(0, equals), text.slice(equals + 1)];
}

/**
 * Collects repeated "-H k=v" flags. A message header holds one value per key, so a key given
 * twice is refused rather than one value silently dropped.
 */
export function parseHeaderFlags(
  texts: readonly string[],
  field = "--header",
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of texts) {
    const [key, value] = parseHeaderFlag(text, field);
    if (Object.hasOwn(headers, key)) {
      throw new UsageError(
        `${field} "${key}" given twice ("${headers[key]}" and "${value}"): a header holds one value per key`,
      );
    }
    headers[key] = value;
  }
  return headers;
}

export function parseNonNegativeInteger(text: string, field: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(value)) {
    throw new UsageError(`${field} "${text}": expected a whole number (0 or more)`);
  }
  return value;
}

/** "0", "0,2" or "0, 1, 3": distinct partition ids in the order given. */
export function parsePartitionList(text: string, field = "--partition"): number[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.some((part) => part === "")) {
    throw new UsageError(`${field} "${text}": expected a partition number or a list like 0,2`);
  }
  return [...new Set(parts.map((part) => parseNonNegativeInteger(part, field)))];
}
