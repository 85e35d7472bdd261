// The workloads of the efficiency benchmark: how long tasks take and what progress they report while they run.
// Every workload is seeded, so a run is reproducible, and is drawn for several seeds, so that one lucky draw
// cannot carry a result. Each is shaped after what real services report (see docs/benchmarks.md).
import { seeded } from './seeded';

/** One simulated task: when it ends, and the progress it reports at a time (`n` counts its readings). */
export interface Task {
  readonly duration: number;
  /** Progress at `at` ms, for its `n`-th reading (0-based); undefined when the service reports none. */
  readonly progress?: (at: number, n: number) => number;
}

/** A family member: a name, a line for the docs, and how to draw a task from a random source. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly withProgress: boolean;
  readonly draw: (random: () => number, noiseSeed: number) => Task;
}

/** A standard normal draw (Box–Muller). */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const between = (random: () => number, low: number, high: number): number => low + (high - low) * random();
const unit = (value: number): number => Math.min(1, Math.max(0, value));

/** Lognormal durations, median 20 s, sigma 1: the durations of W1 and W2, and of every shape below. */
const lognormal = (random: () => number): number => 20_000 * Math.exp(normal(random));

/** Gaussian reading noise of standard deviation `sigma`, drawn once per reading from the task's own seed. */
function noiseOf(noiseSeed: number, sigma: number): (n: number) => number {
  const random = seeded(noiseSeed);
  const draws: number[] = [];
  return (n) => {
    while (draws.length <= n) draws.push(sigma * normal(random));
    return draws[n]!;
  };
}

/** A task whose true progress at fraction x of its duration is `shape(x)`, read with `sigma` noise, clamped to 0..1. */
function shaped(duration: number, noiseSeed: number, sigma: number, shape: (x: number) => number): Task {
  const noise = noiseOf(noiseSeed, sigma);
  return { duration, progress: (at, n) => unit(shape(Math.min(1, at / duration)) + noise(n)) };
}

export const workloads: readonly Workload[] = [
  { id: 'W1', title: 'no progress reported', withProgress: false, draw: (random) => ({ duration: lognormal(random) }) },
  {
    id: 'W2',
    title: 'progress t/T with 3 % noise',
    withProgress: true,
    draw: (random, seed) => shaped(lognormal(random), seed, 0.03, (x) => x),
  },
  {
    id: 'W3',
    title: 'stalls, then rushes: crawls to 5–20 % over the first 50–70 % of the time, then runs to the end (2 % noise)',
    withProgress: true,
    draw: (random, seed) => {
      const level = between(random, 0.05, 0.2);
      const turn = between(random, 0.5, 0.7);
      return shaped(lognormal(random), seed, 0.02, (x) => (x < turn ? (level * x) / turn : level + ((1 - level) * (x - turn)) / (1 - turn)));
    },
  },
  {
    id: 'W4',
    title: 'steps: 2–5 jumps of equal size at roughly even times, flat between them (no noise)',
    withProgress: true,
    draw: (random) => {
      const steps = 2 + Math.floor(random() * 4);
      const at = Array.from({ length: steps }, (_, i) => ((i + 1) / (steps + 1)) * (1 + between(random, -0.2, 0.2)));
      return shaped(lognormal(random), 0, 0, (x) => at.filter((t) => t <= x).length / (steps + 1));
    },
  },
  {
    id: 'W5',
    title: 'S-shaped: slow start, fast middle, slow end (logistic, steepness 2–4; 2 % noise)',
    withProgress: true,
    draw: (random, seed) => {
      const a = between(random, 2, 4);
      return shaped(lognormal(random), seed, 0.02, (x) => x ** a / (x ** a + (1 - x) ** a));
    },
  },
  {
    id: 'W6',
    title: 'two phases: a queue wait of 20–70 % of the time at progress 0, then the work at a steady pace (2 % noise)',
    withProgress: true,
    draw: (random, seed) => {
      const queue = between(random, 0.2, 0.7);
      const task = shaped(lognormal(random), seed, 0.02, (x) => (x < queue ? 0 : (x - queue) / (1 - queue)));
      // In the queue the service says 0, exactly.
      return { duration: task.duration, progress: (at, n) => (at < queue * task.duration ? 0 : task.progress!(at, n)) };
    },
  },
  {
    id: 'W7',
    title: 'heavy-tailed durations: Pareto, from 3 s, alpha 1.2 (median 5.6 s, p99 138 s); progress t/T with 3 % noise',
    withProgress: true,
    draw: (random, seed) => shaped(Math.min(3_600_000, 3000 * (1 - random()) ** (-1 / 1.2)), seed, 0.03, (x) => x),
  },
  {
    id: 'W8',
    title: 'bimodal durations: 60 % around 5 s, 40 % around 90 s (each lognormal, sigma 0.3); progress t/T with 3 % noise',
    withProgress: true,
    draw: (random, seed) => {
      const duration = (random() < 0.6 ? 5000 : 90_000) * Math.exp(0.3 * normal(random));
      return shaped(duration, seed, 0.03, (x) => x);
    },
  },
  {
    id: 'W9',
    title: 'noisy: progress t/T with 10 % noise, so readings often go backwards',
    withProgress: true,
    draw: (random, seed) => shaped(lognormal(random), seed, 0.1, (x) => x),
  },
  {
    id: 'W10',
    title: 'finalising: progress reaches 100 % at 50–85 % of the time, then the task finalises (2 % noise before)',
    withProgress: true,
    draw: (random, seed) => {
      const full = between(random, 0.5, 0.85);
      const task = shaped(lognormal(random), seed, 0.02, (x) => Math.min(1, x / full));
      return { duration: task.duration, progress: (at, n) => (at >= full * task.duration ? 1 : task.progress!(at, n)) };
    },
  },
];

/** `count` tasks of `workload` for one seed: the same tasks for every schedule. */
export function tasksOf(workload: Workload, seed: number, count: number): Task[] {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, i) => workload.draw(random, seed * 100_003 + i));
}
