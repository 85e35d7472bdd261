import { defaultRandom } from '../core/clock.js';
import type { DelayFunction, PollSchedule } from '../core/plan.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf } from '../util/options.js';

/** A jitter range: each delay is multiplied by `1 + U(min, max)`, with -1 ≤ min ≤ max ≤ 1. */
export interface JitterRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The schedule of {@link withBackoff}: delay n (1-based) is `min(maxDelayMs, initialDelayMs * factor^(n-1))`,
 * multiplied by `1 + U(jitter.min, jitter.max)` with `random()`, never below 0 nor above `maxDelayMs`.
 */
export interface BackoffSchedule extends PollSchedule {
  readonly kind: 'backoff';
  readonly initialDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
  readonly jitter: JitterRange;
  readonly random: () => number;
}

/** The fields of a backoff schedule, before they are checked; `jitter` may be a number (±spread). */
export interface BackoffFields {
  readonly initialDelayMs?: number | undefined;
  readonly factor?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly jitter?: number | JitterRange | undefined;
  readonly random?: (() => number) | undefined;
}

const jitterNames = optionNamesOf<JitterRange>()({ min: true, max: true });

/** `fields` checked for `fn`, with withBackoff's defaults: throws a TypeError naming a bad one. */
export function checkBackoff(fn: string, fields: BackoffFields): Omit<BackoffSchedule, 'kind' | 'delays'> {
  const initialDelayMs = checkNumber(fn, 'initialDelayMs', fields.initialDelayMs, 1000);
  const factor = checkNumber(fn, 'factor', fields.factor, 1.5, { min: 1 });
  const maxDelayMs = checkNumber(fn, 'maxDelayMs', fields.maxDelayMs, Math.max(30_000, initialDelayMs));
  if (maxDelayMs < initialDelayMs) {
    throw new TypeError(
      `${fn}: option "maxDelayMs" (${maxDelayMs}) must be at least "initialDelayMs" (${initialDelayMs}); raise maxDelayMs or lower initialDelayMs.`,
    );
  }
  const jitter = checkJitter(fn, fields.jitter);
  const random = checkFunction(fn, 'random', fields.random, defaultRandom);
  return { initialDelayMs, factor, maxDelayMs, jitter, random };
}

function checkJitter(fn: string, jitter: unknown): JitterRange {
  if (typeof jitter === 'object' && jitter !== null) {
    checkOptions(`${fn}: jitter`, jitter, jitterNames);
    const { min, max } = jitter as Partial<JitterRange>;
    const low = checkNumber(fn, 'jitter.min', min, NaN, { min: -1, max: 1 });
    const high = checkNumber(fn, 'jitter.max', max, NaN, { min: -1, max: 1 });
    if (Number.isNaN(low) || Number.isNaN(high) || low > high) {
      throw new TypeError(`${fn}: option "jitter" as a range needs numbers min ≤ max between -1 and 1, e.g. { min: 0, max: 0.1 }.`);
    }
    return { min: low, max: high };
  }
  const spread = checkNumber(fn, 'jitter', jitter, 0.1, { max: 1 });
  return { min: -spread, max: spread };
}

/** A backoff schedule of checked `fields`. */
export function backoffSchedule(fields: Omit<BackoffSchedule, 'kind' | 'delays'>): BackoffSchedule {
  return Object.freeze({ kind: 'backoff', ...fields, delays: backoffDelays });
}

function backoffDelays(this: BackoffSchedule): DelayFunction {
  // Checked again: a copy of the schedule with a changed field (`{ ...schedule, factor: 3 }`) delays by it.
  const { initialDelayMs, factor, maxDelayMs, jitter, random } = checkBackoff('backoff schedule', this);
  const shape: BackoffShape = { initialDelayMs, factor, maxDelayMs, jitterMin: jitter.min, jitterMax: jitter.max };
  return (wait) => backoffDelay(shape, wait, random);
}

/** The numbers that shape a backoff schedule, already checked. */
export interface BackoffShape {
  readonly initialDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
  /** The spread as fractions of the delay: each delay is multiplied by 1 + U(jitterMin, jitterMax). */
  readonly jitterMin: number;
  readonly jitterMax: number;
}

/**
 * Delay number `wait` (1-based) of a backoff schedule: `min(maxDelayMs, initialDelayMs * factor^(wait-1))`,
 * multiplied by `1 + jitterMin + (jitterMax - jitterMin) * random()` with `random()` in [0, 1) (an answer
 * outside it counts as the nearest end, NaN as 0), and never below 0 nor above `maxDelayMs`.
 */
export function backoffDelay(shape: BackoffShape, wait: number, random: () => number): number {
  // 0 * Infinity is NaN: a zero initial delay stays zero however far the factor has grown.
  const base =
    shape.initialDelayMs === 0 ? 0 : Math.min(shape.maxDelayMs, shape.initialDelayMs * Math.pow(shape.factor, wait - 1));
  if (shape.jitterMin === 0 && shape.jitterMax === 0) return base;
  // A random source that answers outside [0, 1) (NaN, a negative, 7) counts as its nearest end: a bug there
  // must not make a delay of NaN, which a timer takes as 0.
  const drawn = random();
  const unit = drawn > 0 ? Math.min(drawn, 1) : 0;
  const spread = base * (1 + shape.jitterMin + (shape.jitterMax - shape.jitterMin) * unit);
  return Math.min(shape.maxDelayMs, Math.max(0, spread));
}
