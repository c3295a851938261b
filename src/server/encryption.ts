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

/**
 * The master key, as upstream takes it: the bytes of LIFTBRIDGE_ENCRYPTION_KEY, 16 bytes for
 * AES-128 or 32 for AES-256. It never touches disk; it only wraps the partitions' data keys.
 */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer {
  const value = env[ENCRYPTION_KEY_ENV];
  if (!value) {
    throw new StartupError(
      `encryption is enabled but ${ENCRYPTION_KEY_ENV} is not set: set it to a 16- or 32-byte AES key`,
    );
  }
  const key = Buffer.from(value, "utf8");
  if (key.length !== 16 && key.length !== 32) {
    throw new StartupError(
      `${ENCRYPTION_KEY_ENV} is ${key.length} bytes long: expected 16 (AES-128) or 32 (AES-256)`,
    );
  }
  return key;
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
