/** The part of pino-roll 4 (untyped) that the logger uses. */
declare module 'pino-roll' {
  // The named export: under NodeNext the default import of sonic-boom's types is a namespace, and
  // skipLibCheck hid that the return type below resolved to nothing (`any` to the callers).
  import type { SonicBoom, SonicBoomOpts } from 'sonic-boom';

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
