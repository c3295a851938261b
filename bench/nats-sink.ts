/**
 * A core NATS subscriber in its own process, the baseline of scenario (f): it counts the messages
 * on `<prefix>.*` per subject and answers a request on `<prefix>-count` (payload: a subject)
 * with that subject's count. Prints "ready" once subscribed.
 *
 *   node dist/bench/nats-sink.js NATS_URL PREFIX
 */
import { connect } from "nats";

const [url, prefix] = process.argv.slice(2);
if (!url || !prefix) {
  process.stderr.write("usage: node dist/bench/nats-sink.js NATS_URL PREFIX\n");
  process.exit(2);
}

const nc = await connect({ servers: url });
const counts = new Map<string, number>();
nc.subscribe(`${prefix}.*`, {
  callback: (_err, msg) => counts.set(msg.subject, (counts.get(msg.subject) ?? 0) + 1),
});
const decoder = new TextDecoder();
nc.subscribe(`${prefix}-count`, {
  callback: (_err, msg) => msg.respond(String(counts.get(decoder.decode(msg.data)) ?? 0)),
});
await nc.flush();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void nc.close().then(() => process.exit(0));
});
