/** A stored record failed its CRC or structure check; the log never serves such a record. */
export class CorruptRecordError extends Error {
  constructor(
    /** Path of the segment's `.log` file. */
    readonly segment: string,
    /** Offset of the damaged record (the offset expected at that place). */
    readonly offset: number,
    /** Byte position of the damaged record within the segment. */
    readonly position: number,
    readonly reason: string,
  ) {
    super(`corrupt record at offset ${offset} (position ${position} of ${segment}): ${reason}`);
    this.name = "CorruptRecordError";
  }
}

/** The log was closed, or is closing, when the operation was requested. */
export class LogClosedError extends Error {
  constructor(
    readonly dir: string,
    operation: string,
  ) {
    super(`cannot ${operation}: the commit log in ${dir} is closed`);
    this.name = "LogClosedError";
  }
}

/** A write failed and the log could not be rolled back, so it refuses further appends. */
export class LogFailedError extends Error {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(
      `the commit log in ${dir} refuses appends after a write it could not roll back: ${describe(cause)}`,
      { cause },
    );
    this.name = "LogFailedError";
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An append could not be written (no space left, an I/O error, ...). Nothing of it was
 * stored and the log stays readable and appendable; `code` is the cause's errno code.
 */
export class AppendFailedError extends Error {
  readonly code?: string;

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`append to the commit log in ${dir} failed, nothing was stored: ${describe(cause)}`, {
      cause,
    });
    this.name = "AppendFailedError";
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}
