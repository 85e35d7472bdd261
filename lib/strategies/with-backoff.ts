import { strategyOf } from '../core/loop.js';
import { loopOptionRecord, planOf, type LoopOptions, type PlannedStrategy } from '../core/plan.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { backoffSchedule, checkBackoff, type JitterRange } from './backoff-delay.js';

export type { JitterRange } from './backoff-delay.js';

/** Options of {@link withBackoff}. Every option is optional; bad values throw a TypeError naming the option. */
export interface WithBackoffConfig extends LoopOptions {
  /**
   * The first delay between two status requests, in milliseconds.
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * How much each delay grows: delay n is `initialDelayMs * factor^(n-1)`. `1` keeps it fixed.
   * @default 1.5
   */
  readonly factor?: number;
  /**
   * The longest delay, in milliseconds; jitter never goes above it.
   * @default 30000, or initialDelayMs when that is larger
   */
  readonly maxDelayMs?: number;
  /**
   * Random spread of each delay, so that many clients do not poll in step: a fraction (`0.1` spreads each
   * delay by ±10 %), or a range `{ min, max }` of fractions (`{ min: 0, max: 0.1 }` adds 0 to 10 %, as
   * Affinity's SDK does). `0` turns it off.
   * @default 0.1
   */
  readonly jitter?: number | JitterRange;
  /**
   * The random source for the jitter: a number in [0, 1). An answer outside it (NaN, a negative, 7) counts as the nearest end.
   * @default Math.random
   */
  readonly random?: () => number;
}

const names = optionNamesOf<WithBackoffConfig>()({ initialDelayMs: true, factor: true, maxDelayMs: true, jitter: true, random: true, ...loopOptionRecord });

/**
 * A strategy that asks again after a growing delay: delay n (1-based, counting every wait) is
 * `min(maxDelayMs, initialDelayMs * factor^(n-1))`, spread by `jitter` and never above `maxDelayMs`.
 *
 * - A reading with `retryAfterMs` (the server's Retry-After) waits `max(hint, delay)`, the hint capped at
 *   `maxRetryAfterMs`.
 * - A retryable error (by default a {@link TransportError} with `retryable: true`) is retried on the same
 *   schedule, honouring its `retryAfterMs`; after `maxConsecutiveErrors` failures in a row the next one is
 *   raised. Other errors (4xx, {@link DecodeError}, task failures) are raised at once.
 * - Stops asking after a terminal reading.
 *
 * The strategy keeps no state of its own: every subscription starts from delay `startAtWait`. Its `plan` is
 * what it does, every default filled in (the schedule is a {@link BackoffSchedule}).
 *
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * // Affinity's SDK timing: 2 s, growing by half, up to 30 s.
 * pollTask$(source, withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000 }))
 */
export function withBackoff(config?: WithBackoffConfig): PlannedStrategy {
  const fn = 'withBackoff';
  checkOptions(fn, config, names);
  const options = config ?? {};
  const plan = planOf(fn, options, backoffSchedule(checkBackoff(fn, options)));
  return strategyOf(plan);
}
