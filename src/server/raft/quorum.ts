import type { NodeId } from "./types.js";

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index stored on a majority of voters: sort the voters' match indexes in
 * descending order and take the one at position quorum - 1. 0 with no voters.
 */
export function committedIndex(voters: Iterable<NodeId>, matchOf: (id: NodeId) => number): number {
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  if (matches.length === 0) return 0;
  matches.sort((a, b) => b - a);
  return matches[quorumSize(matches.length) - 1]!;
}

export type VoteResult = "won" | "lost" | "pending";

/** Tallies the votes of the current voters (votes from anyone else do not count). */
export function voteResult(
  voters: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = quorumSize(voters.size);
  if (voters.size > 0 && granted >= quorum) return "won";
  if (voters.size - rejected < quorum) return "lost";
  return "pending";
}
