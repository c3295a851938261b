/** NATS subjects of partition replication; all live under the cluster's namespace. */

/** Followers send fetch requests here; the partition leader answers. */
export function replicateSubject(namespace: string, stream: string, partition: number): string {
  return `${namespace}.${stream}.${partition}.replicate`;
}

/** Followers ask the leader where a leader epoch ends (truncation by epoch) here. */
export function epochOffsetSubject(namespace: string, stream: string, partition: number): string {
  return `${namespace}.${stream}.${partition}.offset`;
}

/** Leaders tell a broker's idle followers that new records arrived here. */
export function notifySubject(namespace: string, serverId: string): string {
  return `${namespace}.notify.${serverId}`;
}
