// Request efficiency on virtual time: how many requests each schedule sends per task, and how late it notices
// that the task ended. Our strategies run as they are (their real code, on an RxJS VirtualTimeScheduler); the
// peers' schedules are their published formulas. Figures and an SVG chart go to docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Observable, VirtualTimeScheduler } from 'rxjs';
import { pollTask$, withBackoff, withEta, withInterval, type PollStrategy, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';
import { seeded } from './seeded';

const TASKS = Number(process.env.EFFICIENCY_TASKS ?? 20_000);
const LATENCY = 50; // ms from sending a request to receiving its answer; the server looks at half-way

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Task {
  readonly duration: number;
  /** The noise of the n-th reading's progress (W2). */
  readonly noise: (n: number) => number;
}

function tasks(count: number): Task[] {
  const random = seeded(7);
  return Array.from({ length: count }, (_, i) => {
    const duration = 20_000 * Math.exp(normal(random)); // lognormal, median 20 s, sigma 1
    const noise = seeded(1000 + i);
    const draws: number[] = [];
    return { duration, noise: (n) => (draws[n] ??= 0.03 * normal(noise)) };
  });
}

type Workload = 'W1' | 'W2';

function progressAt(task: Task, at: number, n: number): number {
  return Math.min(1, Math.max(0, at / task.duration + task.noise(n)));
}

interface Outcome {
  readonly requests: number;
  readonly latency: number; // when the answer saying "done" arrived, minus when the task ended
}

/** Runs one of our strategies, as it is, over one task on virtual time. */
function ours(make: (scheduler: VirtualTimeScheduler) => PollStrategy, task: Task, workload: Workload): Outcome {
  const scheduler = new VirtualTimeScheduler();
  let requests = 0;
  const source: TaskSource<number> = {
    id: 'task',
    read: () =>
      new Observable<TaskReading<number>>((subscriber) => {
        const n = requests++;
        const seen = scheduler.now() + LATENCY / 2;
        const done = seen >= task.duration;
        return scheduler.schedule(() => {
          subscriber.next(
            done
              ? { runStatus: 'succeeded', vendorStatus: 'done', result: 1, raw: null }
              : { runStatus: 'running', vendorStatus: 'running', ...(workload === 'W2' ? { progress: progressAt(task, seen, n) } : {}), raw: null },
          );
          subscriber.complete();
        }, LATENCY);
      }),
  };
  let endedAt = NaN;
  pollTask$(source, make(scheduler)).subscribe({ complete: () => (endedAt = scheduler.now()) });
  scheduler.flush();
  return { requests, latency: endedAt - task.duration };
}

/** Runs a peer's published schedule: poll at once, then wait `delay(n)` after each answer (n = 1, 2, …). */
function peer(delay: (n: number) => number, task: Task): Outcome {
  let now = 0;
  for (let n = 1; ; n++) {
    const seen = now + LATENCY / 2;
    now += LATENCY;
    if (seen >= task.duration) return { requests: n, latency: now - task.duration };
    now += delay(n);
  }
}

// Every schedule draws its jitter from a fresh source with the same seed, so a schedule that ignores progress
// behaves identically on both workloads.
let jitter = seeded(99);
const peers: ReadonlyArray<[string, (n: number) => number]> = [
  ['Evo SDK, every 0.5 s', () => 500],
  ['Benchling SDK, every 1 s', () => 1000],
  ['Azure core-lro, every 2 s', () => 2000],
  ['Deep Intelligence SDK, every 3 s', () => 3000],
  ['Deadline waiters, every 15 s', () => 15_000],
  ['Affinity SDK, 2 s ×1.5 to 30 s, +0–10 %', (n) => Math.min(30_000, 2000 * 1.5 ** (n - 1)) * (1 + 0.1 * jitter())],
  ['google-gax, 0.1 s ×1.3 to 60 s', (n) => Math.min(60_000, 100 * 1.3 ** (n - 1))],
  [
    'AWS smithy waiters, 2–120 s',
    (n) => {
      const ceiling = Math.log2(120 / 2) + 1;
      if (n > ceiling) return 120_000;
      const top = Math.min(120_000, 2000 * 2 ** (n - 1));
      return 2000 + (top - 2000) * jitter();
    },
  ],
];

const mine: ReadonlyArray<[string, (scheduler: VirtualTimeScheduler) => PollStrategy]> = [
  ['poll-task withInterval(1000)', (scheduler) => withInterval(1000, { scheduler })],
  ['poll-task withBackoff()', (scheduler) => withBackoff({ scheduler, random: jitter })],
  ['poll-task withEta()', (scheduler) => withEta({ scheduler, random: jitter })],
];

interface Row {
  readonly name: string;
  readonly ours: boolean;
  readonly requests: number;
  readonly p50: number;
  readonly p95: number;
  readonly p95Ratio: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function measure(workload: Workload, all: readonly Task[]): Row[] {
  const rows: Row[] = [];
  const summarize = (name: string, isOurs: boolean, outcomes: Outcome[]): void => {
    rows.push({
      name,
      ours: isOurs,
      requests: outcomes.reduce((sum, o) => sum + o.requests, 0) / outcomes.length,
      p50: percentile(outcomes.map((o) => o.latency), 0.5),
      p95: percentile(outcomes.map((o) => o.latency), 0.95),
      p95Ratio: percentile(outcomes.map((o, i) => o.latency / all[i]!.duration), 0.95),
    });
  };
  for (const [name, make] of mine) {
    jitter = seeded(99);
    summarize(name, true, all.map((task) => ours(make, task, workload)));
  }
  for (const [name, delay] of peers) {
    jitter = seeded(99);
    summarize(name, false, all.map((task) => peer(delay, task)));
  }
  return rows;
}

function chart(w1: Row[], w2: Row[]): string {
  const width = 760;
  const height = 420;
  const left = 70;
  const bottom = 50;
  const all = [...w1, ...w2];
  const maxX = Math.log10(Math.max(...all.map((r) => r.requests)) * 1.3);
  const minX = Math.log10(Math.min(...all.map((r) => r.requests)) / 1.3);
  const maxY = Math.log10(Math.max(...all.map((r) => r.p95)) * 1.3);
  const minY = Math.log10(Math.max(10, Math.min(...all.map((r) => r.p95))) / 1.3);
  const x = (v: number) => left + ((Math.log10(v) - minX) / (maxX - minX)) * (width - left - 20);
  const y = (v: number) => height - bottom - ((Math.log10(Math.max(10, v)) - minY) / (maxY - minY)) * (height - bottom - 20);
  // A peer's schedule ignores progress, so its W1 and W2 points coincide: draw those once.
  const marks: Array<{ row: Row; label: string; shape: 'circle' | 'square' }> = [];
  for (const row of w1) {
    const twin = w2.find((other) => other.name === row.name)!;
    const same = Math.abs(twin.requests - row.requests) < 0.05 && Math.abs(twin.p95 - row.p95) < 1;
    marks.push({ row, label: same ? row.name : `${row.name} (W1)`, shape: 'square' });
    if (!same) marks.push({ row: twin, label: `${twin.name} (W2)`, shape: 'circle' });
  }
  const placed: Array<{ from: number; to: number; y: number }> = [];
  // Schedules that land on the same point share one mark and one label.
  const groups = new Map<string, typeof marks>();
  for (const mark of marks) {
    const key = `${mark.row.requests.toFixed(1)}:${Math.round(mark.row.p95)}`;
    groups.set(key, [...(groups.get(key) ?? []), mark]);
  }
  const dots = [...groups.values()]
    .map((group) => ({ ...group[0]!, label: group.map((m) => m.label).join(' = '), row: { ...group[0]!.row, ours: group.some((m) => m.row.ours) } }))
    .map(({ row: r, label, shape }) => {
      const color = r.ours ? '#1b7f3b' : '#6a6a6a';
      const px = x(r.requests);
      const py = y(r.p95);
      const mark =
        shape === 'circle'
          ? `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="5" fill="${color}"/>`
          : `<rect x="${(px - 4.5).toFixed(1)}" y="${(py - 4.5).toFixed(1)}" width="9" height="9" fill="${color}"/>`;
      const right = px > width * 0.62;
      const text = label.replace(/&/g, '&amp;');
      // Move a label down until it no longer overlaps one already placed (about 5.5 px a character).
      const from = right ? px - 8 - label.length * 5.5 : px + 8;
      const to = from + label.length * 5.5;
      let ty = py + 4;
      while (placed.some((box) => Math.abs(box.y - ty) < 11 && box.from < to && from < box.to)) ty += 12;
      placed.push({ from, to, y: ty });
      return `${mark}<text x="${(right ? px - 8 : px + 8).toFixed(1)}" y="${ty.toFixed(1)}" font-size="10" fill="${color}" text-anchor="${right ? 'end' : 'start'}">${text}</text>`;
    })
    .join('\n');
  const ticks = [1, 2, 5, 10, 20, 50, 100, 200].filter((v) => Math.log10(v) >= minX && Math.log10(v) <= maxX);
  const yTicks = [100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000].filter((v) => Math.log10(v) >= minY && Math.log10(v) <= maxY);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="10" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    ...ticks.map((v) => `<text x="${x(v).toFixed(1)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle">${v}</text>`),
    ...yTicks.map((v) => `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`),
    `<text x="${(width + left) / 2}" y="${height - 12}" font-size="12" text-anchor="middle">requests per task (log)</text>`,
    `<text x="16" y="${(height - bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(height - bottom) / 2})">p95 detection latency (log)</text>`,
    dots,
    `<text x="${width - 20}" y="24" font-size="11" text-anchor="end">■ W1: no progress (and every peer: they ignore progress)  ● W2: progress t/T ± 3 %  green: poll-task</text>`,
    '</svg>',
  ].join('\n');
}

export async function efficiency(): Promise<void> {
  const all = tasks(TASKS);
  const w1 = measure('W1', all);
  const w2 = measure('W2', all);
  const format = (rows: Row[]) =>
    table(
      ['schedule', 'requests / task', 'detection latency p50', 'p95', 'p95 latency / duration'],
      rows.map((r) => [r.name, r.requests.toFixed(1), `${Math.round(r.p50)} ms`, `${Math.round(r.p95)} ms`, `${(r.p95Ratio * 100).toFixed(1)} %`]),
    );
  const eta = w2.find((r) => r.name.includes('withEta'))!;
  const backoff = w1.find((r) => r.name.includes('withBackoff'))!;
  const dominating = w1.filter((r) => !r.ours && r.requests < backoff.requests && r.p95Ratio < backoff.p95Ratio);
  const targets = [
    `- W2, withEta(): ${eta.requests.toFixed(1)} requests per task (target ≤ 8) and p95 detection latency ${Math.round(eta.p95)} ms (target ≤ 1000 ms): ${eta.requests <= 8 && eta.p95 <= 1000 ? 'holds' : 'MISSED'}.`,
    `- W1, withBackoff() defaults dominated by no peer (fewer requests and a lower p95 latency/duration): ${dominating.length === 0 ? 'holds' : `MISSED, by ${dominating.map((r) => r.name).join(', ')}`}.`,
  ];
  const text = [
    `${TASKS.toLocaleString('en')} simulated tasks, durations lognormal (median 20 s, sigma 1), request latency ${LATENCY} ms; ${machine()}.`,
    '',
    '**W1: no progress reported.**',
    '',
    format(w1),
    '',
    '**W2: progress t/T with 3 % noise.**',
    '',
    format(w2),
    '',
    ...targets,
    '',
    '![requests per task against p95 detection latency](benchmarks-efficiency.svg)',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') {
    writeSection('benchmarks.md', 'efficiency', text);
    writeFileSync(resolve(__dirname, '../docs/benchmarks-efficiency.svg'), chart(w1, w2));
  }
}
