/** What the admin endpoint shows of gossipsub. */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';

/** Gossipsub's view of one topic: peer IDs (or, once named, member names) throughout. */
export interface GossipView {
  readonly topic: string;
  readonly subscribers: string[];
  readonly mesh: string[];
  readonly direct: string[];
  readonly scores: Record<string, number>;
}

export function gossipViewOf(pubsub: GossipSub, topic: string): GossipView {
  const peers = pubsub.getPeers().map(String);
  return {
    topic,
    subscribers: pubsub.getSubscribers(topic).map(String),
    mesh: pubsub.getMeshPeers(topic),
    direct: [...pubsub.direct],
    scores: Object.fromEntries(peers.map((p) => [p, pubsub.getScore(p)])),
  };
}

/** The same view with member names instead of peer IDs, for people reading /status. */
export function namedGossipView(view: GossipView, label: (peerId: string) => string): GossipView {
  return {
    topic: view.topic,
    subscribers: view.subscribers.map(label),
    mesh: view.mesh.map(label),
    direct: view.direct.map(label),
    scores: Object.fromEntries(Object.entries(view.scores).map(([p, s]) => [label(p), s])),
  };
}
