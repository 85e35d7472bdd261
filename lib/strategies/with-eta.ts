import { defaultRandom } from '../core/clock.js';
import { strategyOf } from '../core/loop.js';
import { loopOptionRecord, planOf, type DelayFunction, type LoopOptions, type PlannedStrategy, type PollSchedule } from '../core/plan.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf } from '../util/options.js';
import { backoffDelay } from './backoff-delay.js';
import { etaOf, lineOf, type Estimate, type ProgressPoint } from './eta-estimate.js';

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
   * Around the estimated end, ask this often (or more often for a short task: at most 12 % of its estimated
   * duration apart), up to four times. Once that window has passed without the end, or progress stalls or sits
   * at 100 %, each delay grows ×1.5 up to 12 % of the time waited so far: a late task is asked about soon, one
   * that stalls is not hammered, and the end is still noticed within about an eighth of the task's duration.
   * @default 900
   */
  readonly finalDelayMs?: number;
  /**
   * While there is no estimate (no progress reported, too few readings, progress that has not moved), wait as
   * a backoff: delay n is `initialDelayMs * 1.5^(n-1)`, ±10 %, up to 10 s (or `initialDelayMs`, if higher, or
   * `maxDelayMs`, if lower).
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * How many readings each line is made from: the first and the latest ones.
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
 * A strategy that uses the progress the service reports. From the progress readings it draws robust lines (the
 * median of the readings' pairwise rates, so noise, a stall or a jump moves them little): a long one through
 * the first and the latest readings, and a recent one from where progress last sped up (a queue wait that
 * ended, a crawl that gave way to a rush). Where a line reaches 100 % is an estimated end, uncertain by the
 * readings' own scatter around the line; the sooner of the two ends wins.
 *
 * It jumps toward that end, never further ahead than four times as far as its line's readings reach back
 * (half as far while progress is under 30 %, or just after it sped up, and not at all while it stalls), then
 * asks every `finalDelayMs` (at most 12 % of the estimated duration) around the estimated end, up to four times.
 * After that window, and while progress stalls or sits at 100 % (the task finalises), it asks less and less
 * often, each delay ×1.5 up to 12 % of the time waited: the end is still noticed within about an eighth of the
 * task's duration.
 *
 * Until progress has risen (by 0.08 over three readings) it waits as a backoff (×1.5 from `initialDelayMs`, up
 * to 10 s), so a service that reports no progress gets backoff timing. Server hints (Retry-After), retries of
 * transient errors, `maxConsecutiveErrors`, `maxWaitMs` and `startAtWait` work exactly as in `withBackoff`.
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

/**
 * The numbers behind withEta's decisions, chosen by measuring on the workload family of `npm run bench
 * efficiency` (steady, stalling then rushing, stepwise, S-shaped, queued, heavy-tailed, bimodal, noisy and
 * finalising progress; see docs/benchmarks.md), not fitted to one of them.
 */
const tuned = Object.freeze({
  /** The smallest scatter an estimate assumes, in progress. */
  minScatter: 0.005,
  /** The scatter assumed while a line has too few readings (under 4) to measure its own. */
  priorScatter: 0.03,
  /** A line is trusted once progress has risen this much along it. */
  moved: 0.08,
  /** Progress sped up when a reading is this many scatters (and at least `changeMin`) above the recent line. */
  changeSigmas: 4,
  changeMin: 0.04,
  /** No hop further ahead than this many times the time the line's readings span... */
  hopOfSpan: 4,
  /** ...this many while progress is below `lowProgress` (a slow start may be a crawl before a rush)... */
  lowHopOfSpan: 0.5,
  lowProgress: 0.3,
  /** ...and this many on a line of the two readings around a speed-up. */
  freshHopOfSpan: 0.5,
  /** A hop covers this share of the way to the dense window (the estimate sharpens on the way). */
  hopShare: 0.8,
  /** The dense window reaches this many spreads either side of the estimated end... */
  margin: 1.25,
  /** ...and is asked about at most this many times at the pace. */
  windowPolls: 4,
  /** Around the end, the pace is at most this share of the estimated duration: short tasks are asked faster. */
  paceOfDuration: 0.12,
  /** Late (past the first dense window, progress stalled, or finalising at 100 %), each delay grows by this... */
  lateGrowth: 1.5,
  /** ...up to this share of the time waited so far. */
  lateOfElapsed: 0.12,
  /** Without usable progress: the longest delay of the backoff (below the 15 s of a fixed slow poller). */
  fallbackMaxMs: 10_000,
});

/** How much progress rose from the first point to the last. */
const riseOf = (points: readonly ProgressPoint[]): number => (points.length < 2 ? 0 : points[points.length - 1]!.progress - points[0]!.progress);

function etaDelays(this: EtaSchedule): DelayFunction {
  // Checked again: a copy of the schedule with a changed field delays by it.
  const { minDelayMs, maxDelayMs, finalDelayMs, initialDelayMs, samples, random } = checkEta('eta schedule', this);
  const fallback = {
    initialDelayMs,
    factor: 1.5,
    maxDelayMs: Math.max(initialDelayMs, Math.min(tuned.fallbackMaxMs, maxDelayMs)),
    jitterMin: -0.1,
    jitterMax: 0.1,
  };
  const clamp = (ms: number): number => Math.min(maxDelayMs, Math.max(minDelayMs, ms));
  // The scatter comes from the readings' residuals; a line of under four readings cannot measure its own.
  const estimate = (points: readonly ProgressPoint[]): Estimate | undefined => etaOf(points, points.length < 4 ? tuned.priorScatter : tuned.minScatter);
  // Per subscription. The long line: the first reading and the latest ones (a long baseline steadies the slope).
  // The recent line: the readings since progress last sped up (a queue wait ended, a crawl gave way to a rush),
  // `fresh` while it holds only the two readings around that change.
  let start: number | undefined;
  const long: ProgressPoint[] = [];
  let recent: ProgressPoint[] = [];
  let fresh = false;
  let trusted = false;
  let full = 0;
  let late = 0;
  let due: number | undefined;
  let stalled = false;
  let paced = 0;
  const keep = (points: ProgressPoint[], point: ProgressPoint): void => {
    points.push(point);
    if (points.length > samples) points.splice(1, 1);
  };
  const record = (point: ProgressPoint): void => {
    full = point.progress >= 1 ? full + 1 : 0;
    const line = lineOf(recent);
    const scatter = line !== undefined && recent.length >= 4 ? Math.max(tuned.minScatter, line.scatter) : tuned.priorScatter;
    const previous = recent[recent.length - 1];
    const above = line === undefined ? 0 : point.progress - (line.intercept + line.slope * point.at);
    const change = Math.max(tuned.changeMin, tuned.changeSigmas * scatter);
    // Stalled: no higher than either of the two readings before.
    stalled = long.length >= 2 && long.slice(-2).every((before) => point.progress <= before.progress);
    if (previous !== undefined && above > change) {
      recent = [previous, point];
      fresh = true;
    } else {
      keep(recent, point);
      fresh = false;
    }
    keep(long, point);
  };
  return (wait, reading, scheduler) => {
    const now = scheduler.now();
    start ??= now;
    const waited = now - start;
    if (reading?.progress !== undefined) record({ at: now, progress: reading.progress });
    // The lines that can be trusted, each no further ahead than its readings reach back; the sooner end wins.
    let eta: Estimate | undefined;
    let reach = 0;
    const consider = (points: readonly ProgressPoint[], times: number): void => {
      if (riseOf(points) < tuned.moved) return;
      trusted = true;
      const candidate = estimate(points);
      if (candidate !== undefined && (eta === undefined || candidate.at < eta.at)) {
        eta = candidate;
        reach = times * (now - points[0]!.at);
      }
    };
    const low = (long[long.length - 1]?.progress ?? 0) < tuned.lowProgress;
    if (long.length >= 3) consider(long, low ? tuned.lowHopOfSpan : tuned.hopOfSpan);
    if (recent.length < long.length && (fresh || recent.length >= 3)) {
      consider(recent, fresh ? tuned.freshHopOfSpan : low ? tuned.lowHopOfSpan : tuned.hopOfSpan);
    }
    if (!trusted) return backoffDelay(fallback, wait, random);
    // Late: each delay grows, up to a share of the time waited, so the end is still noticed within about
    // that share of the task's duration.
    const later = (base: number): number => clamp(Math.min(base * Math.pow(tuned.lateGrowth, ++late), Math.max(base, tuned.lateOfElapsed * waited)));
    // Progress that stopped going up: no line says when it ends.
    if (eta === undefined) return later(finalDelayMs);
    const found: Estimate = eta;
    const pace = Math.min(finalDelayMs, Math.max(minDelayMs, tuned.paceOfDuration * (found.at - start)));
    const margin = Math.max(minDelayMs, tuned.margin * found.spread);
    // Before the dense window around the estimated end (by its uncertainty), jump toward it; in it, ask at the
    // pace until the window first entered has passed: an estimate that keeps slipping does not keep the pace,
    // nor does progress at 100 % twice (the task is finalising, and nothing tells for how long).
    const hop = now < found.at - margin ? Math.min(tuned.hopShare * (found.at - margin - now), reach) : 0;
    if (due === undefined || now < due) {
      // Progress that stalls may end in a rush at any time: no jump ahead while it does.
      if (hop > pace) return stalled ? later(pace) : clamp(hop);
      due ??= found.at + margin;
      if (full < 2 && paced++ < tuned.windowPolls) return clamp(pace);
    }
    // Past that window (or after its last request at the pace) the estimate has slipped, or the task
    // finalises: slower and slower.
    return later(pace);
  };
}
