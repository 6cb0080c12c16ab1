/**
 * Progress on stderr for `vawg submit`: on a terminal, a bar redrawn at most every 100 ms that
 * always ends on the latest state (an update inside the interval is drawn when the interval ends,
 * never dropped), and a spinner while the server works; elsewhere (a log file, CI), an occasional
 * plain line, and nothing at all for a step that finishes quickly.
 */
import type { Writable } from 'node:stream';

/** Time and timers, so a test can drive the renderer with a fake clock. */
export interface ProgressClock {
  now(): number;
  /** Runs `callback` once after `ms`; returns what cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const systemClock: ProgressClock = {
  now: () => Date.now(),
  after(ms, callback) {
    // Never what keeps the process alive: the request it reports on does that.
    const timer = setTimeout(callback, ms).unref();
    return () => clearTimeout(timer);
  },
};

/** A terminal is redrawn at most this often. */
export const TTY_INTERVAL_MS = 100;
/** Off a terminal, a plain line at most this often, and only for a step that lasts longer. */
export const PLAIN_INTERVAL_MS = 5000;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

interface Frame {
  label: string;
  fraction: number | null;
  detail: string;
}

function percentOf(fraction: number | null): string {
  return fraction === null ? '' : ` ${Math.floor(Math.min(Math.max(fraction, 0), 1) * 100)}%`;
}

function formatSeconds(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export class Progress {
  /** When the terminal line (or the last plain line) was last written. */
  private lastDraw = Number.NEGATIVE_INFINITY;
  /** When the current step started, off a terminal. */
  private stepStart: number | null = null;
  private printedInStep = false;
  private pending: Frame | null = null;
  private cancelTrailing: (() => void) | null = null;
  private cancelSpinner: (() => void) | null = null;
  private drawn = false;

  constructor(
    private readonly stream: Writable,
    private readonly tty: boolean,
    private readonly clock: ProgressClock = systemClock,
  ) {}

  /** The state of a step (`uploading`, 40%, `4.0 MB of 10.0 MB`); `fraction` null when unknown. */
  update(label: string, fraction: number | null, detail: string): void {
    this.stopSpinner();
    const frame = { label, fraction, detail };
    const now = this.clock.now();
    if (!this.tty) {
      this.updatePlain(frame, now);
      return;
    }
    // The end of a step is drawn at once: it is the frame a reader is left looking at.
    if (now - this.lastDraw >= TTY_INTERVAL_MS || (fraction !== null && fraction >= 1)) {
      this.drawFrame(frame, now);
      return;
    }
    this.pending = frame;
    // An update inside the interval is drawn when the interval ends, unless a later one replaces it.
    this.cancelTrailing ??= this.clock.after(this.lastDraw + TTY_INTERVAL_MS - now, () => {
      this.cancelTrailing = null;
      if (this.pending) this.drawFrame(this.pending, this.clock.now());
    });
  }

  /** Something is happening that has no measure (the server checking a return): a spinner, or an occasional line. */
  wait(label: string): void {
    this.flush();
    this.stopSpinner();
    const started = this.clock.now();
    if (this.tty) {
      let turn = 0;
      const spin = () => {
        this.write(`${CLEAR_LINE}${SPINNER[turn++ % SPINNER.length]} ${label}… ${formatSeconds(this.clock.now() - started)}`);
        this.lastDraw = this.clock.now();
        this.cancelSpinner = this.clock.after(TTY_INTERVAL_MS, spin);
      };
      spin();
      return;
    }
    // Off a terminal a quick answer prints nothing; a slow one says what is happening, then how long it has taken.
    const line = (interval: number) => {
      this.cancelSpinner = this.clock.after(interval, () => {
        this.write(`${label}… (${formatSeconds(this.clock.now() - started)})\n`);
        line(PLAIN_INTERVAL_MS * 6);
      });
    };
    line(PLAIN_INTERVAL_MS);
  }

  /** The step is over: its latest state is drawn if it was not yet, then the terminal line is cleared. */
  done(): void {
    this.flush();
    this.stopSpinner();
    if (this.tty && this.drawn) this.write(CLEAR_LINE);
    this.drawn = false;
    this.lastDraw = Number.NEGATIVE_INFINITY;
    this.stepStart = null;
    this.printedInStep = false;
  }

  private flush(): void {
    this.cancelTrailing?.();
    this.cancelTrailing = null;
    if (this.pending && this.tty) this.drawFrame(this.pending, this.clock.now());
    this.pending = null;
  }

  private stopSpinner(): void {
    this.cancelSpinner?.();
    this.cancelSpinner = null;
  }

  private updatePlain(frame: Frame, now: number): void {
    // The first update only starts the clock, so a quick step prints nothing.
    if (this.stepStart === null) {
      this.stepStart = now;
      this.lastDraw = now;
      return;
    }
    const last = frame.fraction !== null && frame.fraction >= 1;
    // A step that printed a line also prints its end, so a log never stops at 40%.
    if (now - this.lastDraw >= PLAIN_INTERVAL_MS || (last && this.printedInStep)) {
      this.write(`${frame.label}:${percentOf(frame.fraction)} ${frame.detail}\n`);
      this.lastDraw = now;
      this.printedInStep = true;
    }
  }

  private drawFrame(frame: Frame, now: number): void {
    this.pending = null;
    const width = 30;
    const filled = frame.fraction === null ? 0 : Math.round(Math.min(Math.max(frame.fraction, 0), 1) * width);
    const bar = frame.fraction === null ? '' : ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    this.write(`${CLEAR_LINE}${frame.label}${bar}${percentOf(frame.fraction)} ${frame.detail}`);
    this.lastDraw = now;
  }

  private write(text: string): void {
    this.stream.write(text);
    this.drawn = this.tty;
  }
}
