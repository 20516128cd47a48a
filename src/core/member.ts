/**
 * A member's command handling: IAMAT stores and publishes, WHATSAT looks up and asks the
 * places provider. Pure of I/O; the adapters feed it lines and write what it returns.
 */
import { parseCommand, type IamatCommand, type WhatsatCommand } from '../protocol/command.js';
import { parseLocation } from '../protocol/location.js';
import { makeRecord } from '../protocol/record.js';
import { iamatReply, invalidReply, whatsatReply } from '../protocol/reply.js';
import { formatSignedSeconds } from '../protocol/time.js';
import type { Clock, Logger, Places, RecordSink } from './ports.js';
import type { LocationStore } from './store.js';

export interface MemberCounters {
  iamat: number;
  iamatStored: number;
  whatsat: number;
  invalid: number;
}

export interface MemberInit {
  readonly name: string;
  readonly store: LocationStore;
  readonly places: Places;
  readonly clock: Clock;
  readonly sink: RecordSink;
  readonly log: Logger;
}

export class Member {
  readonly counters: MemberCounters = { iamat: 0, iamatStored: 0, whatsat: 0, invalid: 0 };

  constructor(private readonly init: MemberInit) {}

  get name(): string {
    return this.init.name;
  }

  /** Answers one line; `undefined` for a blank line, which gets no reply. */
  handle(line: string): Buffer | Promise<Buffer> | undefined {
    const command = parseCommand(line);
    switch (command.kind) {
      case 'BLANK':
        return undefined;
      case 'IAMAT':
        return this.iamat(command);
      case 'WHATSAT':
        return this.whatsat(command, line);
      case 'INVALID':
        this.counters.invalid++;
        return invalidReply(line);
    }
  }

  private iamat(command: IamatCommand): Buffer {
    this.counters.iamat++;
    const { client, location, timeText, timeNanos } = command;
    const difference = formatSignedSeconds(this.init.clock.nowNanos() - timeNanos);
    const record = makeRecord({ member: this.init.name, difference, client, location, timeText });
    if (this.init.store.offer(record)) {
      this.counters.iamatStored++;
      this.init.sink.publish(record);
    }
    return iamatReply(record.atLine);
  }

  private whatsat(command: WhatsatCommand, line: string): Buffer | Promise<Buffer> {
    const record = this.init.store.get(command.client);
    if (!record) {
      this.counters.invalid++;
      return invalidReply(line);
    }
    this.counters.whatsat++;
    // Stored records were validated on the way in, so the location always parses.
    const { lat, lng } = parseLocation(record.location)!;
    const query = { lat, lng, radiusMetres: command.radiusKm * 1000, limit: command.bound };
    return this.init.places.nearby(query).then((answer) => whatsatReply(record.atLine, answer, command.bound));
  }
}
