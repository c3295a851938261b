/** Caps how many operations run at once; O(1) per operation however large the cap. */
export class InFlightLimit {
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Starts `operation` once a slot is free; resolves when it has started, not finished. */
  async start(operation: () => Promise<void>): Promise<void> {
    while (this.active >= this.max) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.active++;
    operation().finally(() => this.release());
  }

  /** Resolves when nothing is running. */
  async idle(): Promise<void> {
    while (this.active > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private release(): void {
    this.active--;
    this.slotWaiters.shift()?.();
    if (this.active === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
