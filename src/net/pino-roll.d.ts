/** The part of pino-roll 4 (untyped) that the logger uses. */
declare module 'pino-roll' {
  import type SonicBoom from 'sonic-boom';
  import type { SonicBoomOpts } from 'sonic-boom';

  export interface PinoRollOptions extends Omit<SonicBoomOpts, 'dest'> {
    /** Base path; the file number (and extension) are appended. */
    file: string;
    /** Bytes (`b`), KiB (`k`), MiB (`m`, or a bare number) or GiB (`g`). */
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    limit?: { count: number; removeOtherLogFiles?: boolean };
  }

  export default function roll(options: PinoRollOptions): Promise<SonicBoom>;
}
