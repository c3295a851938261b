/** One status line, rewritten in place, on a terminal only (nothing when stderr is not a TTY). */
export class Progress {
  private readonly enabled: boolean;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true;
  }

  update(text: string): void {
    if (!this.enabled) return;
    const width = Math.max(20, (this.stream.columns ?? 100) - 1);
    this.stream.write(`\r\x1b[2K${text.slice(0, width)}`);
    this.shown = true;
  }

  /** A line that stays (a warning), written above the status line. */
  note(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  clear(): void {
    if (!this.shown) return;
    this.stream.write("\r\x1b[2K");
    this.shown = false;
  }
}
