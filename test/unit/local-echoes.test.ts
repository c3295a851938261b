import test from "ava";
import { LocalEchoes } from "../../src/server/partition/local-echoes.js";

const bytes = (s: string) => new TextEncoder().encode(s);

test("expected copies are taken once each, in order; others are not", (t) => {
  const echoes = new LocalEchoes();
  t.false(echoes.take(bytes("a")), "nothing expected");
  echoes.expect(bytes("a"));
  echoes.expect(bytes("b"));
  echoes.expect(bytes("b"));
  t.false(echoes.take(bytes("c")));
  t.true(echoes.take(bytes("a")));
  t.false(echoes.take(bytes("a")), "a copy is taken only once");
  t.true(echoes.take(bytes("b")));
  t.true(echoes.take(bytes("b")), "two identical envelopes expect two copies");
  t.false(echoes.take(bytes("b")));
});

test("a copy that arrives forgets the copies expected before it (lost on a reconnect)", (t) => {
  const echoes = new LocalEchoes();
  for (let i = 0; i < 3000; i++) echoes.expect(bytes(`m${i}`));
  t.true(echoes.take(bytes("m2500")));
  t.false(echoes.take(bytes("m10")), "older copies are no longer expected");
  t.false(echoes.take(bytes("m2500")));
  t.true(echoes.take(bytes("m2501")));
  t.true(echoes.take(bytes("m2999")));
  t.false(echoes.take(bytes("m2600")));
});

test("the number of awaited copies is bounded, and clear() forgets them", (t) => {
  const echoes = new LocalEchoes();
  let count = 0;
  while (echoes.hasRoom) {
    echoes.expect(bytes(`m${count++}`));
  }
  t.is(count, 8192);
  t.true(echoes.take(bytes("m0")));
  t.true(echoes.hasRoom);
  echoes.clear();
  t.false(echoes.take(bytes("m1")));
});
