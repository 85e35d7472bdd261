// Request efficiency on virtual time: how many requests each schedule sends per task, and how late it notices
// that the task ended, over a family of workloads (spec/bench/workloads.ts). Our strategies run as they are
// (their real code, on an RxJS VirtualTimeScheduler); the peers' schedules are their published formulas.
// Figures and an SVG chart go to docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Observable, VirtualTimeScheduler } from 'rxjs';
import { pollTask$, withBackoff, withEta, withInterval, type PollStrategy, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';
import { seeded } from './seeded';
import { tasksOf, workloads, type Task, type Workload } from './workloads';

const TASKS = Number(process.env.EFFICIENCY_TASKS ?? 4000); // per seed
const SEEDS = Number(process.env.EFFICIENCY_SEEDS ?? 5);
const ONLY = process.env.EFFICIENCY_WORKLOADS?.split(',');
const LATENCY = 50; // ms from sending a request to receiving its answer; the server looks at half-way

interface Outcome {
  readonly requests: number;
  readonly latency: number; // when the answer saying "done" arrived, minus when the task ended
}

/** Runs one of our strategies, as it is, over one task on virtual time. */
function ours(make: (scheduler: VirtualTimeScheduler) => PollStrategy, task: Task): Outcome {
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
              : { runStatus: 'running', vendorStatus: 'running', ...(task.progress ? { progress: task.progress(seen, n) } : {}), raw: null },
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
// behaves identically on every workload with the same durations.
let jitter = seeded(99);
const peers: ReadonlyArray<[string, string, (n: number) => number]> = [
  ['Evo SDK, every 0.5 s', 'a', () => 500],
  ['Benchling SDK, every 1 s', 'b', () => 1000],
  ['Azure core-lro, every 2 s', 'c', () => 2000],
  ['Deep Intelligence SDK, every 3 s', 'd', () => 3000],
  ['Deadline waiters, every 15 s', 'e', () => 15_000],
  ['Affinity SDK, 2 s ×1.5 to 30 s, +0–10 %', 'f', (n) => Math.min(30_000, 2000 * 1.5 ** (n - 1)) * (1 + 0.1 * jitter())],
  ['google-gax, 0.1 s ×1.3 to 60 s', 'g', (n) => Math.min(60_000, 100 * 1.3 ** (n - 1))],
  [
    'AWS smithy waiters, 2–120 s',
    'h',
    (n) => {
      const ceiling = Math.log2(120 / 2) + 1;
      if (n > ceiling) return 120_000;
      const top = Math.min(120_000, 2000 * 2 ** (n - 1));
      return 2000 + (top - 2000) * jitter();
    },
  ],
];

const mine: ReadonlyArray<[string, string, (scheduler: VirtualTimeScheduler) => PollStrategy]> = [
  ['poll-task withInterval(1000)', 'I', (scheduler) => withInterval(1000, { scheduler })],
  ['poll-task withBackoff()', 'B', (scheduler) => withBackoff({ scheduler, random: jitter })],
  ['poll-task withEta()', 'E', (scheduler) => withEta({ scheduler, random: jitter })],
];

/** One schedule's figures over a set of tasks. */
export interface Figures {
  readonly requests: number;
  readonly p50: number;
  readonly p95: number;
  readonly p95Ratio: number;
}

export interface Row extends Figures {
  readonly name: string;
  readonly key: string;
  readonly ours: boolean;
  /** The same figures for each seed alone. */
  readonly seeds: readonly Figures[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function figuresOf(outcomes: readonly Outcome[], tasks: readonly Task[]): Figures {
  return {
    requests: outcomes.reduce((sum, o) => sum + o.requests, 0) / outcomes.length,
    p50: percentile(outcomes.map((o) => o.latency), 0.5),
    p95: percentile(outcomes.map((o) => o.latency), 0.95),
    p95Ratio: percentile(outcomes.map((o, i) => o.latency / tasks[i]!.duration), 0.95),
  };
}

/** Every schedule's figures on `workload` (or only those whose key is in `keys`). */
export function measure(workload: Workload, keys?: readonly string[]): Row[] {
  const seeds = Array.from({ length: SEEDS }, (_, s) => tasksOf(workload, 7 + 1000 * s, TASKS));
  const all = seeds.flat();
  const run = (name: string, key: string, isOurs: boolean, one: (task: Task) => Outcome): Row => {
    const perSeed = seeds.map((tasks) => {
      jitter = seeded(99);
      return tasks.map(one);
    });
    return { name, key, ours: isOurs, ...figuresOf(perSeed.flat(), all), seeds: perSeed.map((outcomes, s) => figuresOf(outcomes, seeds[s]!)) };
  };
  const wanted = (key: string) => keys === undefined || keys.includes(key);
  return [
    ...mine.filter(([, key]) => wanted(key)).map(([name, key, make]) => run(name, key, true, (task) => ours(make, task))),
    ...peers.filter(([, key]) => wanted(key)).map(([name, key, delay]) => run(name, key, false, (task) => peer(delay, task))),
  ];
}

/** The schedules that beat withEta on some seed in both requests and p95 latency. */
export function dominating(rows: readonly Row[]): Row[] {
  const eta = rows.find((r) => r.key === 'E')!;
  return rows.filter((r) => r !== eta && r.seeds.some((f, s) => f.requests < eta.seeds[s]!.requests && f.p95 < eta.seeds[s]!.p95));
}

function chart(results: ReadonlyArray<{ workload: Workload; rows: Row[] }>): string {
  const columns = 2;
  const panelWidth = 400;
  const panelHeight = 250;
  const left = 56;
  const bottom = 34;
  const top = 24;
  const legend = 66;
  const height = Math.ceil(results.length / columns) * panelHeight + legend;
  const width = columns * panelWidth;
  const rows = results.flatMap((r) => r.rows);
  const maxX = Math.log10(Math.max(...rows.map((r) => r.requests)) * 1.3);
  const minX = Math.log10(Math.min(...rows.map((r) => r.requests)) / 1.3);
  const maxY = Math.log10(Math.max(...rows.map((r) => r.p95)) * 1.3);
  const minY = Math.log10(Math.max(10, Math.min(...rows.map((r) => r.p95))) / 1.3);
  const xTicks = [1, 2, 5, 10, 20, 50, 100, 200].filter((v) => Math.log10(v) >= minX && Math.log10(v) <= maxX);
  const yTicks = [100, 300, 1000, 3000, 10_000, 30_000, 100_000, 300_000].filter((v) => Math.log10(v) >= minY && Math.log10(v) <= maxY);
  const panels = results.map(({ workload, rows: panelRows }, i) => {
    const ox = (i % columns) * panelWidth;
    const oy = Math.floor(i / columns) * panelHeight;
    const x = (v: number) => ox + left + ((Math.log10(v) - minX) / (maxX - minX)) * (panelWidth - left - 16);
    const y = (v: number) => oy + panelHeight - bottom - ((Math.log10(Math.max(10, v)) - minY) / (maxY - minY)) * (panelHeight - bottom - top);
    // Schedules that land on the same point share one mark.
    const groups = new Map<string, Row[]>();
    for (const row of panelRows) {
      const key = `${Math.round(x(row.requests) / 4)}:${Math.round(y(row.p95) / 4)}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const marks = [...groups.values()].map((group) => {
      const px = x(group[0]!.requests);
      const py = y(group[0]!.p95);
      const eta = group.some((r) => r.key === 'E');
      const color = eta ? '#c0392b' : group.some((r) => r.ours) ? '#1b7f3b' : '#6a6a6a';
      const label = group.map((r) => r.key).join('');
      return [
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${eta ? 5 : 3.5}" fill="${color}"/>`,
        `<text x="${(px + 6).toFixed(1)}" y="${(py - 4).toFixed(1)}" font-size="10" fill="${color}"${eta ? ' font-weight="bold"' : ''}>${label}</text>`,
      ].join('');
    });
    return [
      `<text x="${ox + left}" y="${oy + 15}" font-size="12" font-weight="bold">${workload.id}</text>`,
      `<text x="${ox + left + 34}" y="${oy + 15}" font-size="9" fill="#444">${workload.title.slice(0, 62).replace(/&/g, '&amp;')}${workload.title.length > 62 ? '…' : ''}</text>`,
      `<line x1="${ox + left}" y1="${oy + panelHeight - bottom}" x2="${ox + panelWidth - 10}" y2="${oy + panelHeight - bottom}" stroke="black"/>`,
      `<line x1="${ox + left}" y1="${oy + top}" x2="${ox + left}" y2="${oy + panelHeight - bottom}" stroke="black"/>`,
      ...xTicks.map((v) => `<text x="${x(v).toFixed(1)}" y="${oy + panelHeight - bottom + 13}" font-size="9" text-anchor="middle">${v}</text>`),
      ...yTicks.map((v) => `<text x="${ox + left - 4}" y="${(y(v) + 3).toFixed(1)}" font-size="9" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`),
      `<text x="${ox + (panelWidth + left) / 2}" y="${oy + panelHeight - 8}" font-size="9" text-anchor="middle">requests per task (log)</text>`,
      ...marks,
    ].join('\n');
  });
  const keys = [...mine, ...peers].map(([name, key]) => `${key}: ${name}`.replace(/&/g, '&amp;'));
  const perLine = Math.ceil(keys.length / 3);
  const legendLines = [0, 1, 2].map((line) => keys.slice(line * perLine, (line + 1) * perLine).join(' · '));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="12" y="${height / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${height / 2})">p95 detection latency (log)</text>`,
    ...panels,
    `<text x="16" y="${height - legend + 12}" font-size="10"><tspan fill="#c0392b" font-weight="bold">red: withEta()</tspan>  <tspan fill="#1b7f3b">green: our defaults</tspan>  grey: peers; points that fall together share one mark.</text>`,
    ...legendLines.map((line, i) => `<text x="16" y="${height - legend + 26 + 13 * i}" font-size="10">${line}</text>`),
    '</svg>',
  ].join('\n');
}

export async function efficiency(): Promise<void> {
  const chosen = workloads.filter((w) => ONLY === undefined || ONLY.includes(w.id));
  const results = chosen.map((workload) => ({ workload, rows: measure(workload) }));
  const format = (rows: readonly Row[]) =>
    table(
      ['schedule', 'requests / task', 'detection latency p50', 'p95', 'p95 latency / duration', 'worst seed: requests, p95, p95 / duration'],
      rows.map((r) => {
        const worst = (pick: (f: Figures) => number) => Math.max(...r.seeds.map(pick));
        return [
          `${r.key}: ${r.name}`,
          r.requests.toFixed(1),
          `${Math.round(r.p50)} ms`,
          `${Math.round(r.p95)} ms`,
          `${(r.p95Ratio * 100).toFixed(1)} %`,
          `${worst((f) => f.requests).toFixed(1)}, ${Math.round(worst((f) => f.p95))} ms, ${(worst((f) => f.p95Ratio) * 100).toFixed(1)} %`,
        ];
      }),
    );
  const targets: string[] = [];
  for (const { workload, rows } of results) {
    const eta = rows.find((r) => r.key === 'E')!;
    const beaten = dominating(rows);
    targets.push(
      `- ${workload.id}, withEta() dominated by no other schedule (none has both fewer requests and a lower p95 latency, on any seed): ${beaten.length === 0 ? 'holds' : `MISSED, by ${beaten.map((r) => r.name).join(', ')}`}.`,
    );
    if (workload.withProgress) {
      const worst = Math.max(...eta.seeds.map((f) => f.p95Ratio));
      targets.push(`- ${workload.id}, withEta() p95 latency / duration at most 15 % on every seed: worst seed ${(worst * 100).toFixed(1)} %: ${worst <= 0.15 ? 'holds' : 'MISSED'}.`);
    }
    if (workload.id === 'W2') {
      const requests = Math.max(...eta.seeds.map((f) => f.requests));
      const p95 = Math.max(...eta.seeds.map((f) => f.p95));
      targets.push(
        `- W2, withEta() at most 6 requests per task and p95 latency at most 1.0 s on every seed: worst seed ${requests.toFixed(1)} requests, ${Math.round(p95)} ms: ${requests <= 6 && p95 <= 1000 ? 'holds' : 'MISSED'}.`,
      );
    }
  }
  const text = [
    `${SEEDS} seeds × ${TASKS.toLocaleString('en')} simulated tasks per workload, request latency ${LATENCY} ms; ${machine()}. Durations are lognormal (median 20 s, sigma 1) unless the workload says otherwise. The figures pool every seed; the last column is the worst single seed.`,
    '',
    ...results.flatMap(({ workload, rows }) => [`**${workload.id}: ${workload.title}.**`, '', format(rows), '']),
    ...targets,
    '',
    '![requests per task against p95 detection latency, one panel per workload](benchmarks-efficiency.svg)',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0' && ONLY === undefined) {
    writeSection('benchmarks.md', 'efficiency', text);
    writeFileSync(resolve(__dirname, '../docs/benchmarks-efficiency.svg'), chart(results));
  }
}
