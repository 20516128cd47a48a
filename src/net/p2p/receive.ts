/**
 * The receive path: gossipsub's topic validator for the locations topic. It names the signer
 * (a herd member other than this one), stores the batch (validate.ts), counts, and tells the
 * node what was stored. Accept forwards the message; Ignore drops it quietly; Reject drops it
 * and lowers the sending peer's score.
 */
import { TopicValidatorResult, type Message, type PeerId } from '@libp2p/interface';
import type { Logger } from '../../core/ports.js';
import type { LocationStore } from '../../core/store.js';
import type { PeerNames } from './topology.js';
import { storeBatch, type GossipCounters } from './validate.js';

export interface ReceiverInit {
  readonly names: PeerNames;
  readonly store: LocationStore;
  readonly counters: GossipCounters;
  readonly log: Logger;
  readonly onStored: (message: StoredMessage) => void;
}

/** A gossip message that stored records. */
export interface StoredMessage {
  /** The member that signed it, and so received its records from clients. */
  readonly origin: string;
  /** How many of its records were newer than the store, and are now stored. */
  readonly stored: number;
  /** Its payload, AT lines (record.ts's codec); valid only during the call. */
  readonly data: Uint8Array;
}

export class GossipReceiver {
  constructor(private readonly init: ReceiverInit) {}

  readonly validate = (source: PeerId, msg: Message): TopicValidatorResult => {
    const signer = msg.type === 'signed' ? this.init.names.signer(msg.from) : undefined;
    const verdict = storeBatch(signer, msg.data, this.init.store);
    const c = this.init.counters;
    switch (verdict.kind) {
      case 'reject': {
        c.gossipMessagesRejected++;
        this.init.log.warn(
          { via: this.init.names.label(source.toString()), signer: msg.type === 'signed' ? msg.from.toString() : null, reason: verdict.reason },
          'rejected gossip message',
        );
        return TopicValidatorResult.Reject;
      }
      case 'ignore':
        c.gossipMessagesIgnored++;
        c.gossipRecordsIgnored += verdict.records;
        return TopicValidatorResult.Ignore;
      case 'accept':
        c.gossipMessagesAccepted++;
        c.gossipRecordsAccepted += verdict.stored;
        c.gossipRecordsIgnored += verdict.records - verdict.stored;
        this.init.onStored({ origin: signer!, stored: verdict.stored, data: msg.data });
        return TopicValidatorResult.Accept;
    }
  };
}
