import type { MetadataState } from "./state.js";
import type { GroupInfo } from "./types.js";

/** Stream name → partitions, for one consumer. */
export type Assignments = Map<string, number[]>;

/**
 * Spreads each stream's partitions over the group members that consume it: streams in name
 * order, each partition to the member with the fewest assignments so far (ties to the
 * earliest joiner). A pure function of the group and the partition counts, so every broker
 * computes the same answer.
 */
export function assignPartitions(
  group: GroupInfo,
  partitionCount: (stream: string) => number,
): Map<string, Assignments> {
  const result = new Map<string, Assignments>(group.members.map((m) => [m.id, new Map()]));
  const load = new Map<string, number>(group.members.map((m) => [m.id, 0]));
  const streams = [...new Set(group.members.flatMap((m) => m.streams))].sort();
  for (const stream of streams) {
    const consumers = group.members.filter((m) => m.streams.includes(stream));
    for (let partition = 0; partition < partitionCount(stream); partition++) {
      let chosen = consumers[0]!;
      for (const candidate of consumers) {
        if (load.get(candidate.id)! < load.get(chosen.id)!) chosen = candidate;
      }
      load.set(chosen.id, load.get(chosen.id)! + 1);
      const assigned = result.get(chosen.id)!;
      assigned.set(stream, [...(assigned.get(stream) ?? []), partition]);
    }
  }
  return result;
}

/** One member's partitions, or undefined if the group or the member does not exist. */
export function memberAssignments(
  metadata: MetadataState,
  groupId: string,
  consumerId: string,
): Assignments | undefined {
  const group = metadata.getGroup(groupId);
  if (!group) return undefined;
  const all = assignPartitions(group, (s) => metadata.getStream(s)?.partitions.length ?? 0);
  return all.get(consumerId);
}
