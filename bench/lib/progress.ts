/**
 * Progress on stderr (stdout carries only the report): a bar of scenarios done with the
 * current step when stderr is a terminal, plain timestamped lines otherwise (CI logs).
 */
import { MultiBar, type SingleBar } from 'cli-progress';

export class Progress {
  /** A MultiBar of one bar, because only it can print lines above the bar. */
  private readonly bars: MultiBar | undefined;
  private readonly bar: SingleBar | undefined;

  constructor(total: number) {
    if (process.stderr.isTTY) {
      this.bars = new MultiBar({
        format: 'bench {bar} {value}/{total} scenarios | {duration_formatted} | {step}',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      });
      this.bar = this.bars.create(total, 0, { step: 'starting' });
    }
  }

  step(text: string): void {
    if (this.bar) this.bar.update({ step: text });
    else this.log(text);
  }

  done(): void {
    this.bar?.increment();
  }

  /** A line that stays (the bar redraws below it). */
  log(text: string): void {
    const line = `[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`;
    if (this.bars) this.bars.log(line);
    else process.stderr.write(line);
  }

  stop(): void {
    this.bars?.stop();
  }
}
