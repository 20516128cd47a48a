/**
 * The publish path: records stored from this member's clients wait in the outbox, leave in
 * batches at the paced spacing, and are signed and queued by gossipsub. Counts what it sent
 * and what is still on its way out (outbox, signing) for the back-pressure measure.
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { Logger } from '../../core/ports.js';
import { encodeRecords, type LocationRecord } from '../../protocol/record.js';
import { Outbox } from './outbox.js';
import { PublishPacing } from './pacing.js';
import type { GossipCounters } from './validate.js';

export interface PublisherInit {
  readonly pubsub: GossipSub;
  readonly topic: string;
  readonly counters: GossipCounters;
  readonly log: Logger;
  readonly outboxMaxRecords?: number;
  readonly outboxMaxBytes?: number;
  readonly pacingTargetLoad?: number;
  /** The backlog may have changed (a message was queued or left signing). */
  readonly onBacklogChange: () => void;
}

export class GossipPublisher {
  private readonly outbox: Outbox;
  private readonly pacing: PublishPacing;
  /** Bytes handed to gossipsub's publish whose signing has not finished yet. */
  private signing = 0;

  constructor(private readonly init: PublisherInit) {
    this.pacing = new PublishPacing({ targetLoad: init.pacingTargetLoad });
    this.outbox = new Outbox({
      send: (batch) => this.send(batch),
      maxRecords: init.outboxMaxRecords,
      maxBytes: init.outboxMaxBytes,
      spacingMs: () => this.pacing.spacingMs(),
    });
  }

  push(record: LocationRecord): void {
    this.outbox.push(record);
  }

  /** Publishes what waits for its paced time now (shutdown). */
  flush(): void {
    this.outbox.flush();
  }

  /** Drops what waits; returns how many records that was. */
  stop(): number {
    return this.outbox.stop();
  }

  get outboxBytes(): number {
    return this.outbox.bytes;
  }

  get signingBytes(): number {
    return this.signing;
  }

  private send(batch: LocationRecord[]): void {
    const { pubsub, topic, counters, log } = this.init;
    const data = encodeRecords(batch);
    this.signing += data.length;
    pubsub
      .publish(topic, data)
      .then(
        (result) => this.published(batch.length, result.recipients.length),
        (err: unknown) => {
          counters.gossipPublishFailures++;
          // With allowPublishToZeroTopicPeers nothing is expected here; the sync protocol repairs.
          log.debug({ err, records: batch.length }, 'gossip publish failed');
        },
      )
      .finally(() => {
        this.signing -= data.length;
        this.init.onBacklogChange();
      });
    this.init.onBacklogChange();
  }

  private published(records: number, recipients: number): void {
    this.init.counters.gossipMessagesPublished++;
    this.init.counters.gossipRecordsPublished += records;
    const expected = this.init.pubsub.getSubscribers(this.init.topic).length;
    if (recipients === 0 && expected === 0) {
      this.init.log.debug({ records }, 'published with no neighbour subscribed; sync delivers later');
    } else if (recipients < expected) {
      // gossipsub drops a message for a peer whose outbound queue is over maxOutboundBufferSize.
      this.init.log.warn({ records, recipients, subscribers: expected }, 'gossip message not queued for every subscribed neighbour');
    }
  }
}
