import type { Scenario } from "./types.js";

/** (e) RF 3 on a 3-broker cluster vs a 3-node R3 JetStream cluster: waits for replication. */
export function clusterScenario(): Scenario {
  return {
    id: "e",
    title: "RF 3, 3 brokers, ack all vs JetStream R3 cluster",
    compare: "rate",
    contenders: [],
    notYet: "not yet: needs replication",
  };
}
