/** Jittered exponential backoff: attempt n waits between half and all of min·2ⁿ (≤ max). */
export interface BackoffOptions {
  /** First delay, ms (default 250). */
  min?: number;
  /** Longest delay, ms (default 30 000). */
  max?: number;
}

export class Backoff {
  readonly min: number;
  readonly max: number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.min = Math.max(0, options.min ?? 250);
    this.max = Math.max(this.min, options.max ?? 30_000);
  }

  /** The delay before the next attempt; each call doubles the ceiling up to `max`. */
  next(): number {
    const ceiling = Math.min(this.max, this.min * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
