/** Internal NATS subjects of the cluster control plane, all under the namespace. */
export const clusterSubjects = (ns: string) => ({
  /** Raft messages addressed to one broker. */
  raft: (serverId: string) => `${ns}.raft.msg.${serverId}`,
  /** A Raft message too large for one NATS message, in chunks, as requests to one broker. */
  chunk: (serverId: string) => `${ns}.raft.chunk.${serverId}`,
  /** Requests to one broker's control plane (forwarded proposals, leader reports). */
  rpc: (serverId: string) => `${ns}.raft.rpc.${serverId}`,
  /** A broker with no Raft state asks the controller to add it to the group. */
  join: `${ns}.raft.join`,
  /** Every broker announces itself here periodically (liveness). */
  heartbeat: `${ns}.heartbeat`,
});
