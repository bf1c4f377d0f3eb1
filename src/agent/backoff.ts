// Exponential backoff: the first wait, doubling per failure up to a ceiling, back to the
// first wait after a success.
export class Backoff {
  private failures = 0;

  constructor(private readonly initialMs: number, private readonly maxMs: number) {
    if (!(initialMs > 0) || !(maxMs >= initialMs)) throw new Error(`backoff: need 0 < initialMs <= maxMs, got ${initialMs} and ${maxMs}`);
  }

  /** The wait before the next attempt; each call counts one more failure. */
  next(): number {
    const ms = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return ms;
  }

  /** Failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
