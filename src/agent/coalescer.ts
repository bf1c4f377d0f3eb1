// Turns a stream of "something changed" signals into applies: at most one apply starts per
// interval, never two at once, and a change that arrives while the agent is idle is applied
// at once (on the next tick, so a burst delivered together is one apply). A change that
// arrives during the quiet part of an interval waits only until the interval ends, so no
// change is held back longer than one interval after the apply before it started.
import { realTimers, type Timers } from './timers.js';

export class Coalescer {
  private pending = false;
  private running: Promise<void> | undefined;
  private timer: unknown;
  private lastStart = -Infinity;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Something changed: make sure an apply follows within one interval. */
  trigger(): void {
    if (this.stopped) return;
    this.pending = true;
    if (this.running === undefined) this.schedule();
  }

  /** True while an apply runs or one is waiting. */
  get busy(): boolean {
    return this.pending || this.running !== undefined;
  }

  /** No more applies; resolves when the one in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    const delay = Math.max(0, this.lastStart + this.intervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, delay);
  }

  private fire(): void {
    if (this.stopped || !this.pending || this.running !== undefined) return;
    this.pending = false;
    this.lastStart = this.timers.now();
    this.running = this.run()
      .catch(() => undefined) // run() reports its own failures
      .finally(() => {
        this.running = undefined;
        if (this.pending) this.schedule();
      });
  }
}
