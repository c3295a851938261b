/**
 * Publishes gathered over one event-loop turn. node:http2 hands over each DATA frame in its own
 * callback and runs microtasks after each, so clients that send one request per frame (grpc-go,
 * grpcio, grpc-js) gave every request its own NATS socket write, log batch and ack write when
 * requests were published in a microtask. Jobs queued here run together in the turn's check
 * phase, right after the I/O callbacks that queued them: every call's requests of that turn are
 * published in one synchronous run, so nats.js writes them at once and each partition appends
 * them as one batch.
 */
let jobs: (() => void)[] = [];

function runJobs(): void {
  const due = jobs;
  jobs = [];
  let failure: unknown;
  for (const job of due) {
    try {
      job();
    } catch (err) {
      failure ??= err;
    }
  }
  // One failing job must not drop the others; the failure still surfaces as it would have.
  if (failure !== undefined) throw failure;
}

/** Runs `job` with the other publishes of this event-loop turn. */
export function publishThisTurn(job: () => void): void {
  if (jobs.length === 0) setImmediate(runJobs);
  jobs.push(job);
}
