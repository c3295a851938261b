import { ConfChangeError } from "./errors.js";
import type { ConfChange, ConfState, NodeId } from "./types.js";

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort();
}

export function makeConfState(voters: Iterable<NodeId>, learners: Iterable<NodeId> = []) {
  return { voters: sorted(voters), learners: sorted(learners) } satisfies ConfState;
}

/** Checks a membership: at least one voter, non-empty IDs, nobody listed twice. */
export function validateConfState(conf: ConfState, what = "confState"): void {
  if (conf.voters.length === 0) {
    throw new ConfChangeError(`${what}.voters is empty: a cluster needs at least one voter`);
  }
  const seen = new Set<NodeId>();
  for (const [field, ids] of [
    ["voters", conf.voters],
    ["learners", conf.learners],
  ] as const) {
    for (const id of ids) {
      if (typeof id !== "string" || id.length === 0) {
        throw new ConfChangeError(
          `${what}.${field} holds ${JSON.stringify(id)}: expected a non-empty node ID`,
        );
      }
      if (seen.has(id)) throw new ConfChangeError(`${what}: node ${id} is listed twice`);
      seen.add(id);
    }
  }
}

export function confStatesEqual(a: ConfState, b: ConfState): boolean {
  const same = (x: readonly NodeId[], y: readonly NodeId[]) => {
    const ys = sorted(y);
    return x.length === y.length && sorted(x).every((id, i) => id === ys[i]);
  };
  return same(a.voters, b.voters) && same(a.learners, b.learners);
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/**
 * The membership after `change`, or an error saying why the change does not fit. The leader
 * checks a proposal with it; every node applies committed changes with applyConfChange, which
 * turns a change that no longer fits into a no-op so all nodes stay in step.
 */
export function checkConfChange(conf: ConfState, change: ConfChange): ConfState {
  const { type, nodeId } = change;
  if (typeof nodeId !== "string" || nodeId.length === 0) {
    throw new ConfChangeError(
      `confChange.nodeId ${JSON.stringify(nodeId)}: expected a non-empty node ID`,
    );
  }
  const voters = new Set(conf.voters);
  const learners = new Set(conf.learners);
  switch (type) {
    case "addVoter":
      if (voters.has(nodeId)) throw new ConfChangeError(`node ${nodeId} is already a voter`);
      if (learners.has(nodeId)) {
        throw new ConfChangeError(`node ${nodeId} is a learner: promote it with promoteLearner`);
      }
      voters.add(nodeId);
      break;
    case "addLearner":
      if (voters.has(nodeId) || learners.has(nodeId)) {
        throw new ConfChangeError(`node ${nodeId} is already a member`);
      }
      learners.add(nodeId);
      break;
    case "promoteLearner":
      if (!learners.has(nodeId)) throw new ConfChangeError(`node ${nodeId} is not a learner`);
      learners.delete(nodeId);
      voters.add(nodeId);
      break;
    case "removeNode":
      if (!voters.has(nodeId) && !learners.has(nodeId)) {
        throw new ConfChangeError(`node ${nodeId} is not a member`);
      }
      if (voters.has(nodeId) && voters.size === 1) {
        throw new ConfChangeError(`node ${nodeId} is the last voter and cannot be removed`);
      }
      voters.delete(nodeId);
      learners.delete(nodeId);
      break;
    default:
      throw new ConfChangeError(
        `confChange.type ${JSON.stringify(type)}: expected addVoter, addLearner, promoteLearner or removeNode`,
      );
  }
  return makeConfState(voters, learners);
}

/** checkConfChange for committed changes: a change that does not fit leaves `conf` as it is. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  try {
    return checkConfChange(conf, change);
  } catch (err) {
    if (err instanceof ConfChangeError) return conf;
    throw err;
  }
}
