import type { Output } from "./output.js";

/** How often the line is redrawn at most. */
const REDRAW_MS = 200;

/**
 * A one-line progress report on stderr, redrawn in place, for work that takes a while. Only on
 * a terminal: in a pipe or a log it would be noise, so there it does nothing.
 */
export class Progress {
  private readonly enabled: boolean;
  private drawnAt = 0;
  private drawn = false;

  constructor(
    private readonly output: Output,
    wanted: boolean,
    private readonly text: () => string,
  ) {
    this.enabled = wanted && output.stderrIsTTY;
  }

  /** Redraws, at most every REDRAW_MS unless `now` (a step worth showing at once). */
  tick(immediately = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!immediately && now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.drawn = true;
    this.output.talk(`\r\u001b[K${this.text()}`);
  }

  /** Clears the line, so what follows starts at column 0. */
  done(): void {
    if (this.drawn) this.output.talk("\r\u001b[K");
    this.drawn = false;
  }
}
