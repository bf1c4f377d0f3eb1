// The coalescer on fake time: a lone change is applied at once, a burst becomes few applies,
// applies start at most once per interval and never overlap, and no change waits longer than
// one interval after the previous apply started (or after it finished, if it ran longer).
import t from 'tap';
import { Coalescer } from '../../src/agent/coalescer.js';
import { FakeTimers } from './fake-timers.js';

function harness(intervalMs: number, applyMs = 0) {
  const timers = new FakeTimers();
  const starts: number[] = [];
  let running = 0;
  let overlapped = false;
  const c = new Coalescer(intervalMs, async () => {
    starts.push(timers.now());
    running++;
    if (running > 1) overlapped = true;
    if (applyMs > 0) await new Promise<void>((r) => timers.setTimeout(r, applyMs));
    running--;
  }, timers);
  return { timers, starts, c, overlapped: () => overlapped };
}

t.test('a lone change after a quiet time is applied at once', async (t) => {
  const { timers, starts, c } = harness(50);
  await timers.advance(1000);
  c.trigger();
  await timers.advance(0);
  t.same(starts, [1000], 'applied without waiting');
  await timers.advance(500);
  c.trigger();
  await timers.advance(0);
  t.same(starts, [1000, 1500]);
});

t.test('a burst is coalesced: at most one apply per interval, the last change within one interval', async (t) => {
  const { timers, starts, c } = harness(50);
  await timers.advance(100);
  // 100 changes, one every 2 ms, from t=100 to t=298.
  for (let i = 0; i < 100; i++) {
    c.trigger();
    await timers.advance(2);
  }
  await timers.advance(200);
  t.equal(starts[0], 100, 'the first change goes at once');
  for (let i = 1; i < starts.length; i++) t.ok(starts[i]! - starts[i - 1]! >= 50, `apply ${i} starts an interval after the one before`);
  t.ok(starts.length <= 6, `${starts.length} applies for 100 changes over 200 ms`);
  t.ok(starts[starts.length - 1]! >= 298 && starts[starts.length - 1]! <= 298 + 50, 'the last change is applied within one interval');
});

t.test('triggers during an apply lead to exactly one more apply, never an overlapping one', async (t) => {
  const { timers, starts, c, overlapped } = harness(50, 120);
  await timers.advance(1000);
  c.trigger();
  await timers.advance(10);
  c.trigger();
  c.trigger();
  await timers.advance(500);
  t.same(starts, [1000, 1120], 'the second apply starts as soon as the long first one ends');
  t.notOk(overlapped(), 'applies never overlap');
});

t.test('a failing apply does not stop later ones; stop() waits for the running apply', async (t) => {
  const timers = new FakeTimers();
  let calls = 0;
  let finished = false;
  const c = new Coalescer(10, async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
    await new Promise<void>((r) => timers.setTimeout(r, 30));
    finished = true;
  }, timers);
  c.trigger();
  await timers.advance(0);
  c.trigger();
  await timers.advance(10);
  t.equal(calls, 2, 'applied again after a failure');
  const stopping = c.stop();
  await timers.advance(30);
  await stopping;
  t.ok(finished, 'stop() waited for the apply in progress');
  c.trigger();
  await timers.advance(100);
  t.equal(calls, 2, 'nothing runs after stop()');
});
