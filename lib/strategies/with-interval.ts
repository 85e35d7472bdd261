import { checkLoopOptions, loopOptionNames, pollLoop, type LoopOptions } from '../core/loop.js';
import { checkNumber, checkOptions } from '../util/options.js';
import { rebuildable } from '../core/rebuild.js';
import type { AnyPollStrategy } from './poll-strategy.js';

/** Options of {@link withInterval}: the retry and timing options every loop strategy shares. */
export type WithIntervalConfig = LoopOptions;

/**
 * A strategy that asks again a fixed `ms` after each reading arrived (never overlapping, no jitter), until a
 * terminal reading. Retries, server hints and the first delay work as in {@link withBackoff}: a retryable
 * error is retried after the same interval, a Retry-After hint longer than `ms` stretches the wait.
 *
 * @param ms - the delay between one reading and the next request, in milliseconds.
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * // Evo's SDK timing: every half second.
 * pollTask$(source, withInterval(500))
 */
export function withInterval(ms: number, config?: WithIntervalConfig): AnyPollStrategy {
  const fn = 'withInterval';
  if (ms === undefined) {
    throw new TypeError(`${fn}: the interval "ms" is required, e.g. withInterval(1000) to ask every second.`);
  }
  const interval = checkNumber(fn, 'ms', ms, 0);
  checkOptions(fn, config, loopOptionNames);
  const settings = checkLoopOptions(fn, config);
  const delay = (): number => interval;
  return rebuildable(
    // Stateless, so every subscription shares one delay function.
    pollLoop(settings, () => delay),
    (changes) => withInterval(interval, { ...config, ...changes }),
  );
}
