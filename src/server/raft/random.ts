import { randomInt } from "node:crypto";

/** The core's only source of chance (election timeout jitter), injected so runs can replay. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). */
  int(bound: number): number;
}

/**
 * A seeded generator (sfc32, seeded through splitmix32): the same seed gives the same
 * sequence on every platform. For simulations and tests.
 */
export class SeededRandom implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new Error(`seed ${seed}: expected a safe integer`);
    }
    let s = (seed ^ Math.floor(seed / 0x100000000)) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.uint32() / 0x100000000;
  }

  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x100000000) {
      throw new Error(`bound ${bound}: expected an integer in [1, 2^32]`);
    }
    return Math.floor(this.float() * bound);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("cannot pick from an empty list");
    return items[this.int(items.length)]!;
  }
}

/** Unseeded randomness from the operating system, for production nodes. */
export const systemRandom: RandomSource = {
  int: (bound) => randomInt(bound),
};
