import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  CompactedError,
  CorruptStorageError,
  type Entry,
  FileStorage,
  MemoryStorage,
  makeConfState,
  type PersistentStorage,
  UnavailableError,
} from "../../src/server/raft/index.js";

const conf = makeConfState(["a", "b", "c"]);

function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, kind: "normal", data: new TextEncoder().encode(text) };
}

function range(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function plain(entries: Entry[]) {
  return entries.map((e) => [e.index, e.term, new TextDecoder().decode(e.data)]);
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-raft-storage-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Kind {
  name: string;
  make(t: ExecutionContext): Promise<PersistentStorage>;
}

const kinds: Kind[] = [
  { name: "MemoryStorage", make: async () => new MemoryStorage() },
  {
    name: "FileStorage",
    make: async (t) => {
      const storage = await FileStorage.open(await tempDir(t), { segmentBytes: 200 });
      t.teardown(() => storage.close());
      return storage;
    },
  },
];

for (const kind of kinds) {
  const it = (title: string, fn: (t: ExecutionContext, s: PersistentStorage) => Promise<void>) =>
    test(`${kind.name}: ${title}`, async (t) => fn(t, await kind.make(t)));

  it("bootstrap stores the initial membership at index 1, term 1, once", async (t, s) => {
    await s.bootstrap(conf);
    t.deepEqual(s.initialState(), {
      hardState: { term: 1, vote: null, commit: 1 },
      confState: conf,
    });
    t.is(s.firstIndex(), 2);
    t.is(s.lastIndex(), 1);
    t.is(s.term(1), 1);
    await t.throwsAsync(async () => s.bootstrap(conf), { message: /already has state/ });
  });

  it("appends, reads ranges and terms, and limits by size", async (t, s) => {
    await s.bootstrap(conf);
    await s.append(range(2, 6, 2));
    t.is(s.lastIndex(), 6);
    t.deepEqual(plain(s.entries(3, 6)), plain(range(3, 5, 2)));
    t.is(s.entries(2, 7, 1).length, 1, "at least one entry even past the limit");
    t.is(s.entries(2, 7, 60).length, 2);
    t.is(s.term(6), 2);
    t.throws(() => s.term(7), { instanceOf: UnavailableError });
    t.throws(() => s.entries(2, 8), { instanceOf: UnavailableError });
    t.throws(() => s.entries(1, 3), { instanceOf: CompactedError });
  });

  it("an append that overlaps replaces the conflicting suffix", async (t, s) => {
    await s.bootstrap(conf);
    await s.append(range(2, 8, 2));
    await s.append(range(5, 6, 3));
    t.is(s.lastIndex(), 6);
    t.deepEqual(
      s.entries(2, 7).map((e) => e.term),
      [2, 2, 2, 3, 3],
    );
    await t.throwsAsync(async () => s.append([entry(9, 3)]), { instanceOf: UnavailableError });
    await t.throwsAsync(async () => s.append([entry(7, 3), entry(9, 3)]), {
      message: /not contiguous: index 9 follows 7/,
    });
  });

  it("snapshot and compaction: the prefix goes, its last term stays known", async (t, s) => {
    await s.bootstrap(conf);
    await s.append(range(2, 20, 2));
    const snap = await s.createSnapshot(15, conf, new TextEncoder().encode("state@15"));
    t.deepEqual(snap.metadata, { index: 15, term: 2, confState: conf });
    await t.throwsAsync(async () => s.compact(16), { message: /past the snapshot's index 15/ });
    await s.compact(12);
    t.is(s.firstIndex(), 13);
    t.is(s.term(12), 2);
    t.throws(() => s.term(11), { instanceOf: CompactedError });
    t.deepEqual(plain(s.entries(13, 21)), plain(range(13, 20, 2)));
    await s.compact(5); // at or below the compaction point: nothing to do
    t.is(s.firstIndex(), 13);
    await t.throwsAsync(async () => s.createSnapshot(10, conf, new Uint8Array()), {
      message: /not newer/,
    });
  });

  it("applying a received snapshot replaces the whole log", async (t, s) => {
    await s.bootstrap(conf);
    await s.append(range(2, 9, 2));
    const data = new TextEncoder().encode("leader-state");
    await s.applySnapshot({ metadata: { index: 30, term: 5, confState: conf }, data });
    t.is(s.firstIndex(), 31);
    t.is(s.lastIndex(), 30);
    t.is(s.term(30), 5);
    await s.append(range(31, 33, 5));
    t.deepEqual(plain(s.entries(31, 34)), plain(range(31, 33, 5)));
    t.deepEqual(s.snapshot().data, data);
  });

  it("stores the hard state", async (t, s) => {
    await s.bootstrap(conf);
    await s.append(range(2, 4, 3));
    await s.setHardState({ term: 7, vote: "b", commit: 3 });
    t.deepEqual(s.initialState().hardState, { term: 7, vote: "b", commit: 3 });
  });
}

async function filled(t: ExecutionContext, segmentBytes = 200) {
  const dir = await tempDir(t);
  const s = await FileStorage.open(dir, { segmentBytes });
  await s.bootstrap(conf);
  for (let i = 2; i <= 30; i += 4) await s.append(range(i, Math.min(i + 3, 30), 2));
  await s.setHardState({ term: 2, vote: "a", commit: 25 });
  await s.close();
  return dir;
}

async function segments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(".seg")).sort();
}

test("FileStorage: everything survives a reopen", async (t) => {
  const dir = await filled(t);
  t.true((await segments(dir)).length > 2, "the log rolled over several segments");
  const s = await FileStorage.open(dir);
  t.teardown(() => s.close());
  t.deepEqual(s.initialState(), { hardState: { term: 2, vote: "a", commit: 25 }, confState: conf });
  t.deepEqual(plain(s.entries(2, 31)), plain(range(2, 30, 2)));
  await s.append(range(31, 32, 3));
  t.is(s.lastIndex(), 32);
});

test("FileStorage: a torn last record is cut off at open; appends continue after it", async (t) => {
  const dir = await filled(t);
  const last = join(dir, (await segments(dir)).at(-1)!);
  await truncate(last, (await stat(last)).size - 3);
  const s = await FileStorage.open(dir);
  t.teardown(() => s.close());
  t.is(s.lastIndex(), 29);
  t.deepEqual(plain(s.entries(2, 30)), plain(range(2, 29, 2)));
  await s.append([entry(30, 2, "again")]);
  await s.close();
  const again = await FileStorage.open(dir);
  t.teardown(() => again.close());
  t.deepEqual(plain(again.entries(30, 31)), [[30, 2, "again"]]);
});

test("FileStorage: garbage after the last record (a torn write) is cut off", async (t) => {
  const dir = await filled(t);
  const last = join(dir, (await segments(dir)).at(-1)!);
  await writeFile(last, Buffer.concat([await readFile(last), Buffer.from([0, 0, 0, 9, 1, 2])]));
  const s = await FileStorage.open(dir);
  t.teardown(() => s.close());
  t.is(s.lastIndex(), 30);
});

test("FileStorage: damage before good records is reported, never silently dropped", async (t) => {
  const dir = await filled(t);
  const names = await segments(dir);
  for (const name of [names[0]!, names.at(-1)!]) {
    const path = join(dir, name);
    const bytes = await readFile(path);
    const damaged = Buffer.from(bytes);
    damaged[25 + 10] = damaged[25 + 10]! ^ 0xff; // inside the first record's body
    await writeFile(path, damaged);
    const err = await t.throwsAsync(FileStorage.open(dir), { instanceOf: CorruptStorageError });
    t.regex(err.message, new RegExp(`${name} at byte 25: record CRC-32C mismatch`));
    await writeFile(path, bytes);
  }
  const hard = join(dir, "hardstate");
  const bytes = await readFile(hard);
  bytes[bytes.length - 1] ^= 1;
  await writeFile(hard, bytes);
  await t.throwsAsync(FileStorage.open(dir), {
    instanceOf: CorruptStorageError,
    message: /CRC-32C/,
  });
});

test("FileStorage: compaction deletes whole segments below the compaction point", async (t) => {
  const dir = await filled(t);
  const s = await FileStorage.open(dir, { segmentBytes: 200 });
  t.teardown(() => s.close());
  const before = await segments(dir);
  await s.createSnapshot(25, conf, new TextEncoder().encode("s25"));
  await s.compact(25);
  const after = await segments(dir);
  t.true(after.length < before.length);
  await s.close();
  const reopened = await FileStorage.open(dir);
  t.teardown(() => reopened.close());
  t.true(reopened.firstIndex() <= 26);
  t.is(reopened.snapshot().metadata.index, 25);
  t.deepEqual(plain(reopened.entries(26, 31)), plain(range(26, 30, 2)));
});

test("FileStorage: a truncation across segments survives a reopen", async (t) => {
  const dir = await filled(t);
  const s = await FileStorage.open(dir, { segmentBytes: 200 });
  t.teardown(() => s.close());
  await s.append(range(27, 28, 3));
  await s.close();
  const reopened = await FileStorage.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.lastIndex(), 28);
  t.deepEqual(
    reopened.entries(25, 29).map((e) => e.term),
    [2, 2, 3, 3],
  );
});

test("FileStorage: log segments older than an installed snapshot are dropped at open", async (t) => {
  // As after a crash between storing a received snapshot and removing the old log.
  const dir = await filled(t);
  const s = await FileStorage.open(dir);
  const other = await FileStorage.open(join(dir, "other"));
  await other.applySnapshot({
    metadata: { index: 40, term: 6, confState: conf },
    data: new Uint8Array(),
  });
  await other.close();
  await s.close();
  await writeFile(join(dir, "snapshot"), await readFile(join(dir, "other", "snapshot")));
  await rm(join(dir, "other"), { recursive: true });
  const reopened = await FileStorage.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.firstIndex(), 41);
  t.is(reopened.lastIndex(), 40);
  t.deepEqual(await segments(dir), []);
});
