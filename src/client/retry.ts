import { setTimeout as delay } from "node:timers/promises";

export interface RetryBudget {
  /** Attempts after the first one. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Enough to ride out a leader election or a broker that has not yet applied a new stream. */
export const DEFAULT_RETRY_BUDGET: RetryBudget = {
  retries: 6,
  initialDelayMs: 25,
  maxDelayMs: 1000,
};

/** Exponential backoff with ±50 % jitter, so clients that failed together do not retry together. */
export function backoffDelayMs(attempt: number, budget: RetryBudget, random = Math.random): number {
  const exponential = Math.min(budget.maxDelayMs, budget.initialDelayMs * 2 ** attempt);
  return Math.round(exponential * (0.5 + random()));
}

export interface RetryPolicy {
  budget: RetryBudget;
  /** Whether this error is worth another attempt. */
  shouldRetry(err: unknown): boolean;
  /** Repair before the next attempt, after the backoff (e.g. refresh metadata). */
  beforeRetry?(err: unknown): Promise<void>;
}

/** Runs `attempt` until it succeeds, the budget is spent, or an error is not worth retrying. */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (err) {
      if (attemptNumber >= policy.budget.retries || !policy.shouldRetry(err)) throw err;
      await delay(backoffDelayMs(attemptNumber, policy.budget));
      await policy.beforeRetry?.(err);
    }
  }
}
