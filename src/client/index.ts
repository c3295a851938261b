// The public surface of lb's Liftbridge client.

export type {
  ClusterBroker,
  DescribeClusterResponse,
  DescribeGroupsResponse,
  GroupDescription,
  LocalFailure,
  PartitionCompaction,
  PartitionProgress,
  ReplicaProgress,
  StreamDescription,
} from "../wire/admin.js";
export { DEFAULT_ADDRESS, formatAddress, parseAddress, parseAddressList } from "./address.js";
export { LiftbridgeClient } from "./client.js";
export { isLbError, LbError, type LbErrorKind } from "./errors.js";
export { type BrokerInfo, Metadata, type StreamInfo } from "./metadata.js";
export { type PartitionerName, partitionForKey } from "./partitioner.js";
export { AsyncPublisher } from "./publisher.js";
export { ackPartition, partitionSubject } from "./subjects.js";
export { Subscription } from "./subscription.js";
export type * from "./types.js";
