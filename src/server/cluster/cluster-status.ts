import type { MetadataState } from "../metadata/state.js";
import type { MetadataRaft } from "./metadata-raft.js";
import type { ClusterStatus, PartitionFailure } from "./status.js";

/** This broker's view of the metadata Raft group and the brokers, for lb describe. */
export function clusterStatus(
  serverId: string,
  raft: MetadataRaft,
  state: MetadataState,
  failuresOf: (brokerId: string) => PartitionFailure[] = () => [],
): ClusterStatus {
  const status = raft.status();
  const { voters, learners } = status.confState;
  return {
    serverId,
    controller: raft.controller,
    role: status.role,
    term: status.term,
    commitIndex: status.commit,
    appliedIndex: raft.appliedIndex,
    brokers: state.listBrokers().map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      alive: b.alive !== false,
      membership: voters.includes(b.id) ? "voter" : learners.includes(b.id) ? "learner" : "none",
      localFailures: failuresOf(b.id),
    })),
  };
}
