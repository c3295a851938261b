import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeMessage, encodeMessage } from "../wire/api.js";
import { StartupError, writeAtomically } from "./data-dir.js";

export const ENCRYPTION_KEY_ENV = "LIFTBRIDGE_ENCRYPTION_KEY";
/** RFC 5649's alternative initial value for AES key wrap with padding. */
const KWP_IV = Buffer.from("A65959A6", "hex");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_FILE = "data-key";

export const ENCRYPTION_KEY_FORMAT =
  "16 or 32 characters used as they are (upstream's format), or 32 bytes as 64 hex digits or as base64/base64url (43 or 44 characters), or 16 bytes as base64/base64url (22 or 24 characters)";

/**
 * The master key from LIFTBRIDGE_ENCRYPTION_KEY: AES-128 or AES-256. Upstream takes the
 * variable's bytes as they are (16 or 32 characters), and so does lb; it also accepts a random
 * key written the usual ways, whose lengths cannot be mistaken for those: 64 hex digits, or
 * base64/base64url of 16 or 32 bytes. It never touches disk; it only wraps the data keys.
 */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer {
  const value = env[ENCRYPTION_KEY_ENV];
  if (!value) {
    throw new StartupError(
      `encryption is enabled but ${ENCRYPTION_KEY_ENV} is not set: set it to an AES key, ${ENCRYPTION_KEY_FORMAT}`,
    );
  }
  const key = parseMasterKey(value);
  if (!key) {
    throw new StartupError(
      `${ENCRYPTION_KEY_ENV} is not a valid AES key (${value.length} characters): expected ${ENCRYPTION_KEY_FORMAT}; e.g. \`openssl rand -hex 32\``,
    );
  }
  return key;
}

function parseMasterKey(value: string): Buffer | undefined {
  const raw = Buffer.from(value, "utf8");
  if (raw.length === 16 || raw.length === 32) return raw;
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/.test(value) || /^[A-Za-z0-9_-]+={0,2}$/.test(value);
  if (base64 && [22, 24, 43, 44].includes(value.length)) {
    const decoded = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    // Only a canonical encoding: trailing bits that decode to nothing mean a mistyped key.
    const canonical = decoded.toString("base64").replace(/=+$/, "");
    const bytes = value.length <= 24 ? 16 : 32;
    if (
      decoded.length === bytes &&
      canonical === value.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "")
    ) {
      return decoded;
    }
  }
  return undefined;
}

function wrapAlgorithm(masterKey: Buffer): string {
  return masterKey.length === 16 ? "id-aes128-wrap-pad" : "id-aes256-wrap-pad";
}

/**
 * Encrypts message values at rest for one partition: AES-256-GCM under the partition's own
 * data key, which is stored in `<partition dir>/data-key` wrapped by the master key
 * (AES key wrap with padding, RFC 5649). A stored value is nonce | ciphertext | tag.
 */
export class PartitionCipher {
  private constructor(private readonly dataKey: Buffer) {}

  /** Loads the partition's data key, creating it on first use. */
  static async open(partitionDir: string, masterKey: Buffer): Promise<PartitionCipher> {
    const file = join(partitionDir, DATA_KEY_FILE);
    const wrapped = await readFile(file).catch(() => undefined);
    if (!wrapped) {
      const dataKey = randomBytes(32);
      const wrapper = createCipheriv(wrapAlgorithm(masterKey), masterKey, KWP_IV);
      const sealed = Buffer.concat([wrapper.update(dataKey), wrapper.final()]);
      await writeAtomically(file, sealed.toString("base64"));
      return new PartitionCipher(dataKey);
    }
    try {
      const unwrapper = createDecipheriv(wrapAlgorithm(masterKey), masterKey, KWP_IV);
      const raw = Buffer.from(wrapped.toString("utf8"), "base64");
      return new PartitionCipher(Buffer.concat([unwrapper.update(raw), unwrapper.final()]));
    } catch {
      throw new StartupError(
        `${ENCRYPTION_KEY_ENV} cannot unwrap the data key in ${file}: it is not the key this partition was encrypted with`,
      );
    }
  }

  /** A stored Message body with its value encrypted. */
  sealBody(body: Uint8Array): Uint8Array {
    const message = decodeMessage(body);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.dataKey, nonce);
    const sealed = Buffer.concat([
      nonce,
      cipher.update(message.value),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return encodeMessage({ ...message, value: sealed });
  }

  /** The stored body with its value decrypted; throws if it was tampered with. */
  openBody(body: Uint8Array): Uint8Array {
    const message = decodeMessage(body);
    const sealed = message.value;
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error("encrypted value is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.dataKey, sealed.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const value = Buffer.concat([
      decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return encodeMessage({ ...message, value });
  }
}
