import { Metadata, status } from "@grpc/grpc-js";
import {
  MetadataCommandTooLargeError,
  MetadataNotStoredError,
  MetadataUnavailableError,
} from "../metadata/replicated-log.js";

/**
 * An error that carries the gRPC status code clients depend on (DESIGN §1: the codes are
 * part of the contract). Everything a handler throws that is not an ApiError becomes
 * INTERNAL, so a code never leaks by accident.
 */
export class ApiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toServiceError(): { code: status; details: string; metadata: Metadata; message: string } {
    return {
      code: this.code,
      details: this.message,
      message: this.message,
      metadata: new Metadata(),
    };
  }
}

export const notFound = (message: string) => new ApiError(status.NOT_FOUND, message);
export const invalidArgument = (message: string) => new ApiError(status.INVALID_ARGUMENT, message);
export const alreadyExists = (message: string) => new ApiError(status.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string) =>
  new ApiError(status.FAILED_PRECONDITION, message);
export const deadlineExceeded = (message: string) =>
  new ApiError(status.DEADLINE_EXCEEDED, message);
export const resourceExhausted = (message: string) =>
  new ApiError(status.RESOURCE_EXHAUSTED, message);
export const unavailable = (message: string) => new ApiError(status.UNAVAILABLE, message);
export const internal = (message: string) => new ApiError(status.INTERNAL, message);

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof MetadataUnavailableError) return unavailable(err.message);
  if (err instanceof MetadataNotStoredError) {
    return err.diskFull ? resourceExhausted(err.message) : unavailable(err.message);
  }
  if (err instanceof MetadataCommandTooLargeError) return invalidArgument(err.message);
  return internal(err instanceof Error ? err.message : String(err));
}
