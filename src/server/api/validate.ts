import { invalidArgument } from "./status.js";

export const RESERVED_STREAMS = new Set(["__cursors", "__activity"]);

const FORBIDDEN_NAME_CHARS = /[\s.*>/\\\0]/;

/**
 * Stream names become directory names and NATS subject tokens (`<ns>.<stream>.<p>.replicate`),
 * so they must be one subject token and a safe file name.
 */
export function validateStreamName(name: string): void {
  if (name === "") throw invalidArgument("Name cannot be empty");
  if (FORBIDDEN_NAME_CHARS.test(name) || name.length > 249) {
    throw invalidArgument(
      `Stream name ${JSON.stringify(name)} is invalid: expected at most 249 characters without whitespace, '.', '*', '>', '/' or '\\'`,
    );
  }
  if (RESERVED_STREAMS.has(name)) throw invalidArgument(`Stream is reserved: ${name}`);
}

/** A valid NATS subscription subject: dot-separated non-empty tokens, `*` tokens, `>` last. */
export function isValidSubject(subject: string): boolean {
  if (subject === "" || /[\s\0]/.test(subject)) return false;
  const tokens = subject.split(".");
  return tokens.every((token, i) => {
    if (token === "") return false;
    if (token === ">") return i === tokens.length - 1;
    return token === "*" || !/[*>]/.test(token);
  });
}

export function validateSubject(subject: string): void {
  if (!isValidSubject(subject)) {
    throw invalidArgument(
      `Subject is invalid: ${JSON.stringify(subject)} (expected NATS subject tokens separated by '.', with '*' as a whole token and '>' only last)`,
    );
  }
}
