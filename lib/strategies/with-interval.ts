import { strategyOf } from '../core/loop.js';
import { loopOptionNames, planOf, type DelayFunction, type LoopOptions, type PlannedStrategy, type PollSchedule } from '../core/plan.js';
import { checkNumber, checkOptions } from '../util/options.js';

/** Options of {@link withInterval}: the retry and timing options every loop strategy shares. */
export type WithIntervalConfig = LoopOptions;

/** The schedule of {@link withInterval}: every delay is `ms`. */
export interface IntervalSchedule extends PollSchedule {
  readonly kind: 'interval';
  readonly ms: number;
}

/**
 * A strategy that asks again a fixed `ms` after each reading arrived (never overlapping, no jitter), until a
 * terminal reading. Retries, server hints and the first delay work as in {@link withBackoff}: a retryable
 * error is retried after the same interval, a Retry-After hint longer than `ms` stretches the wait. Its
 * `plan` is what it does (the schedule is an {@link IntervalSchedule}).
 *
 * @param ms - the delay between one reading and the next request, in milliseconds.
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * // Evo's SDK timing: every half second.
 * pollTask$(source, withInterval(500))
 */
export function withInterval(ms: number, config?: WithIntervalConfig): PlannedStrategy {
  const fn = 'withInterval';
  if (ms === undefined) {
    throw new TypeError(`${fn}: the interval "ms" is required, e.g. withInterval(1000) to ask every second.`);
  }
  const interval = checkNumber(fn, 'ms', ms, 0);
  checkOptions(fn, config, loopOptionNames);
  return strategyOf(planOf(fn, config ?? {}, Object.freeze({ kind: 'interval', ms: interval, delays: intervalDelays }) as IntervalSchedule));
}

function intervalDelays(this: IntervalSchedule): DelayFunction {
  // Checked again: a copy of the schedule with a changed `ms` delays by it.
  // A copy that lost its `ms` is refused as the value it holds (undefined is not a number).
  const ms = checkNumber('interval schedule', 'ms', this.ms ?? null, 0);
  return () => ms;
}
