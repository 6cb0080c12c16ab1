/**
 * The progress display of `vawg submit`, driven by a fake clock: on a terminal the last frame of a
 * step is its latest state (the bar once froze at the first update, 10%, because later ones were
 * dropped by the throttle), a spinner runs while the server works, and off a terminal quick steps
 * print nothing.
 */
import t from 'tap';
import { Progress, TTY_INTERVAL_MS, type ProgressClock } from '../../src/cli/progress.js';
import { Capture } from './cli-helper.js';

class FakeClock implements ProgressClock {
  time = 0;
  private timers: Array<{ at: number; callback: () => void }> = [];

  now(): number {
    return this.time;
  }

  after(ms: number, callback: () => void): () => void {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((other) => other !== timer);
    };
  }

  /** Moves time on, running each timer when its time comes (timers a timer sets included). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = next.at;
      next.callback();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.length;
  }
}

/** What a terminal shows, frame by frame: each redraw starts with carriage return and clear-line. */
function framesOf(text: string): string[] {
  return text.split('\r\x1b[K').slice(1);
}

function setUp(tty: boolean) {
  const clock = new FakeClock();
  const stream = new Capture();
  return { clock, stream, progress: new Progress(stream, tty, clock) };
}

t.test('on a terminal the last frame of an upload is 100%, however fast the updates come', async (t) => {
  const { clock, stream, progress } = setUp(true);
  // Ten chunks of a file sent within 10 ms, as a fast local upload does.
  for (let chunk = 1; chunk <= 10; chunk++) {
    progress.update('uploading', chunk / 10, `${chunk * 64} KB of 640 KB`);
    clock.advance(1);
  }
  const frames = framesOf(stream.text);
  t.match(frames[0], /^uploading \[###-+\] 10% 64 KB of 640 KB$/, 'the first update is drawn at once');
  t.match(frames.at(-1), /^uploading \[#{30}\] 100% 640 KB of 640 KB$/, 'the end is drawn at once, not dropped');
  t.equal(frames.length, 2, 'updates inside the interval are not drawn one by one');
  progress.done();
  t.equal(framesOf(stream.text).at(-1), '', 'then the line is cleared');
});

t.test('an update inside the interval is drawn when the interval ends', async (t) => {
  const { clock, stream, progress } = setUp(true);
  progress.update('processing', 0.1, '100 records read');
  clock.advance(20);
  progress.update('processing', 0.4, '400 records read');
  clock.advance(20);
  progress.update('processing', 0.7, '700 records read');
  t.equal(framesOf(stream.text).length, 1, 'nothing more drawn yet');
  clock.advance(TTY_INTERVAL_MS);
  t.match(framesOf(stream.text).at(-1), /70% 700 records read$/, 'the latest state, when the interval ends');
  t.equal(framesOf(stream.text).length, 2, 'and only the latest');
  t.equal(clock.pending, 0, 'no timer left behind');

  // An update still waiting for its interval is drawn before the step ends.
  progress.update('processing', 0.9, '900 records read');
  progress.done();
  const frames = framesOf(stream.text);
  t.match(frames.at(-2), /90% 900 records read$/);
  t.equal(frames.at(-1), '');
});

t.test('a spinner while the server checks the return, stopped by the answer', async (t) => {
  const { clock, stream, progress } = setUp(true);
  progress.update('uploading', 1, '10.0 KB of 10.0 KB');
  progress.wait('uploaded; the server is checking the return');
  t.match(framesOf(stream.text).at(-1), /^⠋ uploaded; the server is checking the return… 0 s$/, 'drawn at once');
  clock.advance(2500);
  const frames = framesOf(stream.text);
  t.equal(frames.length, 2 + 25, 'redrawn every 100 ms');
  t.match(frames.at(-1), /^. uploaded; the server is checking the return… 2 s$/, 'with the time it has taken');
  t.not(frames.at(-1)![0], frames.at(-2)![0], 'and it turns');
  progress.done();
  const before = stream.text;
  clock.advance(1000);
  t.equal(stream.text, before, 'nothing drawn once the answer is in');
  t.equal(clock.pending, 0);
});

t.test('off a terminal: nothing for quick steps, an occasional line for slow ones, and their end', async (t) => {
  const quick = setUp(false);
  quick.progress.update('uploading', 0.5, '5 KB of 10 KB');
  quick.clock.advance(50);
  quick.progress.update('uploading', 1, '10 KB of 10 KB');
  quick.progress.wait('uploaded; the server is checking the return');
  quick.clock.advance(1000);
  quick.progress.done();
  t.equal(quick.stream.text, '', 'a quick upload and a quick answer print nothing');

  const slow = setUp(false);
  for (let second = 0; second <= 12; second++) {
    slow.progress.update('uploading', second / 20, `${second} MB of 20 MB`);
    slow.clock.advance(1000);
  }
  slow.progress.update('uploading', 1, '20 MB of 20 MB');
  t.same(slow.stream.text.split('\n').filter(Boolean), ['uploading: 25% 5 MB of 20 MB', 'uploading: 50% 10 MB of 20 MB', 'uploading: 100% 20 MB of 20 MB']);
  t.notOk(slow.stream.text.includes('\r') || slow.stream.text.includes('\x1b'), 'plain lines, no terminal codes');
  slow.progress.wait('uploaded; the server is checking the return');
  slow.clock.advance(36_000);
  slow.progress.done();
  t.match(slow.stream.text, /uploaded; the server is checking the return… \(5 s\)\nuploaded; the server is checking the return… \(35 s\)\n$/);
});
