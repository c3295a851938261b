import { ByteReader, ByteWriter } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { MESSAGE_TYPES, type Message, type MessageType } from "./messages.js";
import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryKind,
  HardState,
  Snapshot,
} from "./types.js";

/**
 * Binary encodings of Raft messages and of the records FileStorage keeps. Integers are
 * unsigned LEB128 varints, strings and byte strings are length-prefixed. Every top-level
 * encoding starts with a format version byte so a newer broker can still read an older one.
 *
 * message := version(1) type(1) term from to fields...   (type: index in MESSAGE_TYPES + 1)
 * entry   := index term kind(0 normal, 1 confChange) data
 */
export const CODEC_VERSION = 1;

const ENTRY_KINDS: readonly EntryKind[] = ["normal", "confChange"];
const CONF_CHANGE_TYPES: readonly ConfChangeType[] = [
  "addVoter",
  "addLearner",
  "promoteLearner",
  "removeNode",
];

function writeEntry(w: ByteWriter, entry: Entry): void {
  w.uint(entry.index).uint(entry.term).byte(ENTRY_KINDS.indexOf(entry.kind)).bytes(entry.data);
}

function readEntry(r: ByteReader): Entry {
  const index = r.uint("entry.index");
  const term = r.uint("entry.term");
  const kindCode = r.byte("entry.kind");
  const kind = ENTRY_KINDS[kindCode];
  if (kind === undefined) {
    throw new DecodeError("entry", `entry.kind ${kindCode}: expected 0 (normal) or 1 (confChange)`);
  }
  return { index, term, kind, data: r.bytes("entry.data") };
}

function writeConfState(w: ByteWriter, conf: ConfState): void {
  w.uint(conf.voters.length);
  for (const id of conf.voters) w.string(id);
  w.uint(conf.learners.length);
  for (const id of conf.learners) w.string(id);
}

function readConfState(r: ByteReader): ConfState {
  const list = (field: string) => {
    const n = r.uint(`${field} count`);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(r.string(field));
    return ids;
  };
  return { voters: list("confState.voters"), learners: list("confState.learners") };
}

function writeSnapshot(w: ByteWriter, snapshot: Snapshot): void {
  const { index, term, confState } = snapshot.metadata;
  w.uint(index).uint(term);
  writeConfState(w, confState);
  w.bytes(snapshot.data);
}

function readSnapshot(r: ByteReader): Snapshot {
  const index = r.uint("snapshot.index");
  const term = r.uint("snapshot.term");
  const confState = readConfState(r);
  return { metadata: { index, term, confState }, data: r.bytes("snapshot.data") };
}

function readVersion(r: ByteReader, what: string): void {
  const version = r.byte("version");
  if (version !== CODEC_VERSION) {
    throw new DecodeError(
      what,
      `format version ${version}: this build reads version ${CODEC_VERSION}`,
    );
  }
}

export function encodeMessage(m: Message): Uint8Array {
  const entryBytes =
    m.type === "append" ? m.entries.reduce((n, e) => n + e.data.length + 12, 0) : 0;
  const w = new ByteWriter(64 + entryBytes + (m.type === "snapshot" ? m.snapshot.data.length : 0));
  w.byte(CODEC_VERSION)
    .byte(MESSAGE_TYPES.indexOf(m.type) + 1)
    .uint(m.term)
    .string(m.from)
    .string(m.to);
  switch (m.type) {
    case "preVote":
    case "vote":
      w.uint(m.lastLogIndex)
        .uint(m.lastLogTerm)
        .byte(m.transfer ? 1 : 0);
      break;
    case "preVoteResponse":
    case "voteResponse":
      w.byte(m.reject ? 1 : 0);
      break;
    case "append":
      w.uint(m.prevLogIndex).uint(m.prevLogTerm).uint(m.commit).uint(m.entries.length);
      for (const entry of m.entries) writeEntry(w, entry);
      break;
    case "appendResponse":
      w.uint(m.index)
        .byte(m.reject ? 1 : 0)
        .uint(m.hintIndex)
        .uint(m.hintTerm);
      break;
    case "heartbeat":
      w.uint(m.commit);
      break;
    case "snapshot":
      writeSnapshot(w, m.snapshot);
      break;
    case "heartbeatResponse":
    case "timeoutNow":
      break;
  }
  return w.finish();
}

/** Decodes one message; the entries' and snapshot's data share memory with `bytes`. */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new ByteReader(bytes, "raft message");
  readVersion(r, "raft message");
  const code = r.byte("type");
  const type: MessageType | undefined = MESSAGE_TYPES[code - 1];
  if (type === undefined) {
    throw new DecodeError("raft message", `type ${code}: expected 1..${MESSAGE_TYPES.length}`);
  }
  const term = r.uint("term");
  const from = r.string("from");
  const to = r.string("to");
  const base = { from, to, term };
  let m: Message;
  switch (type) {
    case "preVote":
    case "vote":
      m = {
        type,
        ...base,
        lastLogIndex: r.uint("lastLogIndex"),
        lastLogTerm: r.uint("lastLogTerm"),
        transfer: r.bool("transfer"),
      };
      break;
    case "preVoteResponse":
    case "voteResponse":
      m = { type, ...base, reject: r.bool("reject") };
      break;
    case "append": {
      const prevLogIndex = r.uint("prevLogIndex");
      const prevLogTerm = r.uint("prevLogTerm");
      const commit = r.uint("commit");
      const count = r.uint("entries count");
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) entries.push(readEntry(r));
      m = { type, ...base, prevLogIndex, prevLogTerm, commit, entries };
      break;
    }
    case "appendResponse":
      m = {
        type,
        ...base,
        index: r.uint("index"),
        reject: r.bool("reject"),
        hintIndex: r.uint("hintIndex"),
        hintTerm: r.uint("hintTerm"),
      };
      break;
    case "heartbeat":
      m = { type, ...base, commit: r.uint("commit") };
      break;
    case "snapshot":
      m = { type, ...base, snapshot: readSnapshot(r) };
      break;
    case "heartbeatResponse":
    case "timeoutNow":
      m = { type, ...base };
      break;
  }
  r.end();
  return m;
}

export function encodeConfChange(change: ConfChange): Uint8Array {
  const code = CONF_CHANGE_TYPES.indexOf(change.type);
  if (code < 0)
    throw new Error(`confChange.type ${JSON.stringify(change.type)} is not a known type`);
  return new ByteWriter(16 + change.nodeId.length)
    .byte(CODEC_VERSION)
    .byte(code)
    .string(change.nodeId)
    .finish();
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const r = new ByteReader(bytes, "conf change");
  readVersion(r, "conf change");
  const code = r.byte("type");
  const type = CONF_CHANGE_TYPES[code];
  if (type === undefined) {
    throw new DecodeError(
      "conf change",
      `type ${code}: expected 0..${CONF_CHANGE_TYPES.length - 1}`,
    );
  }
  const nodeId = r.string("nodeId");
  r.end();
  return { type, nodeId };
}

/** An entry without the version byte (FileStorage frames entries in versioned segments). */
export function encodeEntry(entry: Entry): Uint8Array {
  const w = new ByteWriter(entry.data.length + 24);
  writeEntry(w, entry);
  return w.finish();
}

export function decodeEntry(bytes: Uint8Array): Entry {
  const r = new ByteReader(bytes, "log entry");
  const entry = readEntry(r);
  r.end();
  return entry;
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const w = new ByteWriter(snapshot.data.length + 64).byte(CODEC_VERSION);
  writeSnapshot(w, snapshot);
  return w.finish();
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const r = new ByteReader(bytes, "snapshot");
  readVersion(r, "snapshot");
  const snapshot = readSnapshot(r);
  r.end();
  return snapshot;
}

export function encodeHardState(state: HardState): Uint8Array {
  const w = new ByteWriter(32).byte(CODEC_VERSION).uint(state.term);
  if (state.vote === null) w.byte(0);
  else w.byte(1).string(state.vote);
  return w.uint(state.commit).finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const r = new ByteReader(bytes, "hard state");
  readVersion(r, "hard state");
  const term = r.uint("term");
  const vote = r.bool("vote present") ? r.string("vote") : null;
  const commit = r.uint("commit");
  r.end();
  return { term, vote, commit };
}
