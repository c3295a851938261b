/**
 * Shared by every client of one benchmark run: the first failure (or Ctrl-C) stops all
 * publishers from sending more, since numbers measured past a failure say little.
 */
export class RunControl {
  stopped = false;
  firstError: string | undefined;
  errors = 0;

  fail(message: string): void {
    this.errors++;
    this.firstError ??= message;
    this.stopped = true;
  }

  stop(): void {
    this.stopped = true;
  }
}
