import { defaultRandom } from '../core/clock.js';
import { strategyOf } from '../core/loop.js';
import { loopOptionRecord, planOf, type DelayFunction, type LoopOptions, type PlannedStrategy, type PollSchedule } from '../core/plan.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf } from '../util/options.js';
import { backoffDelay } from './backoff-delay.js';
import { etaOf, type ProgressPoint } from './eta-estimate.js';

/** Options of {@link withEta}. Every option is optional; bad values throw a TypeError naming the option. */
export interface WithEtaConfig extends LoopOptions {
  /**
   * The shortest delay between two requests, in milliseconds.
   * @default 250
   */
  readonly minDelayMs?: number;
  /**
   * The longest delay between two requests, in milliseconds, with or without an estimate.
   * @default 120000
   */
  readonly maxDelayMs?: number;
  /**
   * Around the estimated end, ask this often; once the end has passed well without the task ending, the delay
   * grows ×1.25 each time up to `maxDelayMs`: a late task is asked about soon, one that stalls is not hammered.
   * @default 900
   */
  readonly finalDelayMs?: number;
  /**
   * While there is no estimate (no progress reported, too few readings, progress that does not move), wait as
   * `withBackoff` does: delay n is `initialDelayMs * 1.5^(n-1)`, ±10 %, up to 30 s (or `maxDelayMs` if lower).
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * How many of the latest readings the estimate is made from.
   * @default 10
   */
  readonly samples?: number;
  /**
   * The random source for the jitter of the fallback backoff.
   * @default Math.random
   */
  readonly random?: () => number;
}

const names = optionNamesOf<WithEtaConfig>()({
  minDelayMs: true,
  maxDelayMs: true,
  finalDelayMs: true,
  initialDelayMs: true,
  samples: true,
  random: true,
  ...loopOptionRecord,
});

/** The schedule of {@link withEta}: its fields are {@link WithEtaConfig}'s, checked, with defaults filled in. */
export interface EtaSchedule extends PollSchedule {
  readonly kind: 'eta';
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly finalDelayMs: number;
  readonly initialDelayMs: number;
  readonly samples: number;
  readonly random: () => number;
}

/**
 * A strategy that uses the progress the service reports: it estimates when the task will end from the progress
 * readings (a robust line through the latest `samples` readings: the median of their pairwise rates, so noise,
 * a stall or a jump moves it little) and how uncertain that is, jumps toward that moment, then asks every
 * `finalDelayMs` from a little before the estimated end to a little after it; a task still running well past
 * it is asked about less and less often. The estimate is trusted once progress has moved (by 0.05 over three
 * readings); its uncertainty assumes readings at least 2 % off.
 *
 * Without usable progress it waits as {@link withBackoff} does. Server hints (Retry-After), retries of transient
 * errors, `maxConsecutiveErrors`, `maxWaitMs` and `startAtWait` work exactly as in `withBackoff`.
 *
 * @throws TypeError naming the option, for an unknown option or a value out of range.
 *
 * @example
 * // A render farm that reports progress: few requests, and the result soon after the render ends.
 * pollTask$(renderJob, withEta())
 */
export function withEta(config?: WithEtaConfig): PlannedStrategy {
  const fn = 'withEta';
  checkOptions(fn, config, names);
  const options = config ?? {};
  const schedule: EtaSchedule = Object.freeze({ kind: 'eta', ...checkEta(fn, options), delays: etaDelays });
  return strategyOf(planOf(fn, options, schedule));
}

/** The schedule fields of `options` checked for `fn`, with withEta's defaults. */
function checkEta(fn: string, options: Partial<Omit<EtaSchedule, 'kind' | 'delays'>>): Omit<EtaSchedule, 'kind' | 'delays'> {
  const minDelayMs = checkNumber(fn, 'minDelayMs', options.minDelayMs, 250);
  const maxDelayMs = checkNumber(fn, 'maxDelayMs', options.maxDelayMs, Math.max(120_000, minDelayMs));
  if (maxDelayMs < minDelayMs) {
    throw new TypeError(`${fn}: option "maxDelayMs" (${maxDelayMs}) must be at least "minDelayMs" (${minDelayMs}).`);
  }
  const finalDelayMs = checkNumber(fn, 'finalDelayMs', options.finalDelayMs, 900);
  const initialDelayMs = checkNumber(fn, 'initialDelayMs', options.initialDelayMs, 1000);
  const samples = checkNumber(fn, 'samples', options.samples, 10, { min: 2, max: 100, integer: true });
  const random = checkFunction(fn, 'random', options.random, defaultRandom);
  return { minDelayMs, maxDelayMs, finalDelayMs, initialDelayMs, samples, random };
}

/** Progress must have moved this much before it is trusted (the estimate's margin covers the rest of the noise). */
const minProgressSpan = 0.05;
/** How much each delay grows while progress stalls or the estimated end has passed. */
const lateGrowth = 1.25;

function etaDelays(this: EtaSchedule): DelayFunction {
  // Checked again: a copy of the schedule with a changed field delays by it.
  const { minDelayMs, maxDelayMs, finalDelayMs, initialDelayMs, samples, random } = checkEta('eta schedule', this);
  const fallback = { initialDelayMs, factor: 1.5, maxDelayMs: Math.max(initialDelayMs, Math.min(30_000, maxDelayMs)), jitterMin: -0.1, jitterMax: 0.1 };
  const clamp = (ms: number): number => Math.min(maxDelayMs, Math.max(minDelayMs, ms));
  // Per subscription: the first progress point (a long baseline steadies the slope), the latest ones,
  // whether the estimate is trusted yet, and how many delays have passed since the estimated end.
  let first: ProgressPoint | undefined;
  const latest: ProgressPoint[] = [];
  let trusted = false;
  let late = 0;
  return (wait, reading, scheduler) => {
    const now = scheduler.now();
    if (reading?.progress !== undefined) {
      const point = { at: now, progress: reading.progress };
      first ??= point;
      latest.push(point);
      if (latest.length > samples - 1) latest.shift();
    }
    const points = first !== undefined && latest[0] !== first ? [first, ...latest] : latest;
    // Trust the progress once it has moved clearly beyond reading noise, over three readings; from then on
    // the wait follows the estimate.
    if (!trusted && points.length >= 3 && points[points.length - 1]!.progress - first!.progress >= minProgressSpan) trusted = true;
    if (!trusted) return backoffDelay(fallback, wait, random);
    const eta = etaOf(points);
    // Progress that stopped going up: ask less and less often until it moves again.
    if (eta === undefined) return clamp(finalDelayMs * Math.pow(lateGrowth, ++late));
    // Ask densely from a little before the estimated end (by its uncertainty) to a little after it; before
    // that, jump toward it, never further ahead than three times as far as the readings reach back.
    const margin = Math.max(minDelayMs, 1.25 * eta.spread);
    if (now < eta.at - margin) {
      // Cover most of the way (the estimate sharpens on the way), and no hop shorter than the dense pace.
      const hop = Math.min(0.8 * (eta.at - margin - now), 3 * (now - first!.at));
      return clamp(Math.max(finalDelayMs, hop));
    }
    if (now < eta.at + margin) {
      late = 0;
      return clamp(finalDelayMs);
    }
    return clamp(finalDelayMs * Math.pow(lateGrowth, ++late));
  };
}
