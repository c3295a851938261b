import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import anyTest, { type TestFn } from "ava";
import { type Entry, FileStorage, makeConfState } from "../../src/server/raft/index.js";
import { fillDisk, mountSmallDisk, smallDisksAvailable } from "../helpers/small-disk.js";

// A real full disk (a small tmpfs; root only, see small-disk.ts).
const test = (smallDisksAvailable ? anyTest : anyTest.skip) as TestFn;

function entry(index: number, bytes = 16): Entry {
  return { index, term: 2, kind: "normal", data: new Uint8Array(bytes).fill(index) };
}

async function segmentBytes(dir: string): Promise<number> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".seg"));
  let total = 0;
  for (const name of names) total += (await stat(join(dir, name))).size;
  return total;
}

test("FileStorage on a full disk: a failed append leaves nothing, discardFrom takes back appended entries above the commit, and writes work again once space returns", async (t) => {
  const disk = mountSmallDisk(t, "1m");
  const dir = join(disk, "raft");
  const storage = await FileStorage.open(dir);
  await storage.bootstrap(makeConfState(["a"]));
  await storage.append([entry(2), entry(3), entry(4), entry(5)]);
  await storage.setHardState({ term: 2, vote: "a", commit: 3 });
  const filler = await fillDisk(disk);
  const before = await segmentBytes(dir);

  const err = await t.throwsAsync(storage.append([entry(6, 64 << 10)]));
  t.is((err as NodeJS.ErrnoException).code, "ENOSPC");
  t.is(storage.lastIndex(), 5);
  const hardState = await t.throwsAsync(storage.setHardState({ term: 3, vote: "a", commit: 5 }));
  t.is((hardState as NodeJS.ErrnoException).code, "ENOSPC");
  t.deepEqual(storage.initialState().hardState, { term: 2, vote: "a", commit: 3 });
  t.false(
    (await readdir(dir)).some((n) => n.endsWith(".tmp")),
    "no half-written temp file",
  );

  // Entries a failed Ready had appended go, from memory and disk; committed ones cannot.
  await storage.discardFrom(4);
  t.is(storage.lastIndex(), 3);
  t.true((await segmentBytes(dir)) < before);
  await t.throwsAsync(storage.discardFrom(3), { message: /stored commit index is 3/ });
  await storage.close();

  const reopened = await FileStorage.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.lastIndex(), 3, "nothing discarded or half-written comes back");
  await rm(filler);
  await reopened.append([entry(4, 64 << 10)]);
  await reopened.setHardState({ term: 2, vote: "a", commit: 4 });
  t.is(reopened.lastIndex(), 4);
});
