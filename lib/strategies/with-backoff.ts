import { backoffDelay } from './backoff-delay.js';
import { defaultRandom } from '../core/clock.js';
import { rebuildable } from '../core/rebuild.js';
import { checkLoopOptions, loopOptionNames, pollLoop, type LoopOptions } from '../core/loop.js';
import { checkFunction, checkNumber, checkOptions } from '../util/options.js';
import type { AnyPollStrategy } from './poll-strategy.js';

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

/** A jitter range: each delay is multiplied by `1 + U(min, max)`, with -1 ≤ min ≤ max ≤ 1. */
export interface JitterRange {
  readonly min: number;
  readonly max: number;
}

const optionNames = [
  'initialDelayMs',
  'factor',
  'maxDelayMs',
  'jitter',
  'random',
  ...loopOptionNames,
] as const;

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
 * The returned strategy keeps no state of its own: every subscription starts from delay 1.
 *
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * // Affinity's SDK timing: 2 s, growing by half, up to 30 s.
 * pollTask$(source, withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000 }))
 */
export function withBackoff(config?: WithBackoffConfig): AnyPollStrategy {
  const fn = 'withBackoff';
  checkOptions(fn, config, optionNames);
  const options = config ?? {};
  const settings = checkLoopOptions(fn, options);
  const initialDelayMs = checkNumber(fn, 'initialDelayMs', options.initialDelayMs, 1000);
  const factor = checkNumber(fn, 'factor', options.factor, 1.5, { min: 1 });
  const maxDelayMs = checkNumber(fn, 'maxDelayMs', options.maxDelayMs, Math.max(30_000, initialDelayMs));
  if (maxDelayMs < initialDelayMs) {
    throw new TypeError(
      `${fn}: option "maxDelayMs" (${maxDelayMs}) must be at least "initialDelayMs" (${initialDelayMs}); raise maxDelayMs or lower initialDelayMs.`,
    );
  }
  const [jitterMin, jitterMax] = checkJitter(fn, options.jitter);
  const random = checkFunction(fn, 'random', options.random, defaultRandom);

  const shape = { initialDelayMs, factor, maxDelayMs, jitterMin, jitterMax };
  const delay = (wait: number): number => backoffDelay(shape, wait, random);
  return rebuildable(
    // Stateless (the wait count comes from the loop), so every subscription shares one delay function.
    pollLoop(settings, () => delay),
    (changes) => withBackoff({ ...options, ...changes }),
  );
}

function checkJitter(fn: string, jitter: unknown): [number, number] {
  if (typeof jitter === 'object' && jitter !== null) {
    checkOptions(`${fn}: jitter`, jitter, ['min', 'max']);
    const { min, max } = jitter as Partial<JitterRange>;
    const low = checkNumber(fn, 'jitter.min', min, NaN, { min: -1, max: 1 });
    const high = checkNumber(fn, 'jitter.max', max, NaN, { min: -1, max: 1 });
    if (Number.isNaN(low) || Number.isNaN(high) || low > high) {
      throw new TypeError(`${fn}: option "jitter" as a range needs numbers min ≤ max between -1 and 1, e.g. { min: 0, max: 0.1 }.`);
    }
    return [low, high];
  }
  const spread = checkNumber(fn, 'jitter', jitter, 0.1, { max: 1 });
  return [-spread, spread];
}
