// Engine overhead: 5,000 in-memory tasks at once, each done after 20 readings, 1 ms between readings. CPU per
// reading and heap per waiting task for pollTask$ and its peers, in the same run, as ratios to
// @smithy/util-waiter and to a hand-written async loop (the floor).
import { setMaxListeners } from 'node:events';
import { createHttpPoller, type OperationState } from '@azure/core-lro';
import { createWaiter, WaiterState } from '@smithy/util-waiter';
import { asyncScheduler, defer, lastValueFrom, Observable, of, repeat, takeWhile, last, type SchedulerAction } from 'rxjs';
import polling from 'rx-polling';
import { pollTask$, toResult, withInterval, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';

const TASKS = Number(process.env.ENGINE_TASKS ?? 5000);
const READINGS = 20;
const DELAY = 1;

const running = { runStatus: 'running', vendorStatus: 'running', raw: null } as const;

/** An in-memory task: its n-th status read says "done" once it has been read READINGS times. */
function task(): { read: () => boolean } {
  let reads = 0;
  return { read: () => ++reads >= READINGS };
}

function pageNeverHidden(): EventTarget {
  const page = Object.assign(new EventTarget(), { hidden: false });
  setMaxListeners(0, page);
  return page;
}

/** The RxJS floor's observer: reschedules its action after each reading until the task is done. */
class RxFloorState {
  action: SchedulerAction<RxFloorState> | undefined = undefined;
  private done = false;
  constructor(private readonly finished: () => void) {}
  next(done: boolean): void {
    this.done = done;
  }
  error(): void {}
  complete(): void {
    if (this.done) this.finished();
    else this.action!.schedule(this, DELAY);
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

type Runner = (count: number) => Promise<void>;

/** The row the targets are judged on: like the smithy waiter, it delivers the result alone. */
const OURS = 'poll-task pollTask$ with toResult()';

/**
 * `count` pollTask$ waits on in-memory sources: with `resultOnly`, `toResult()` keeps the result alone (what
 * the smithy waiter gives); without it, the subscriber gets every progress event and the result event.
 */
function pollTaskRun(count: number, resultOnly: boolean): Promise<void> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const t = task();
      const reading$ = new Observable<TaskReading<number>>((subscriber) => {
        subscriber.next(t.read() ? { runStatus: 'succeeded', vendorStatus: 'done', result: 1, raw: null } : running);
        subscriber.complete();
      });
      const source: TaskSource<number> = { id: 'task', read: () => reading$ };
      const events = pollTask$(source, withInterval(DELAY));
      return resultOnly ? lastValueFrom(events.pipe(toResult())) : lastValueFrom(events);
    }),
  ).then(() => undefined);
}


const runners: ReadonlyArray<[string, Runner]> = [
  [
    'hand-written async loop (the floor)',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          for (;;) {
            if (await Promise.resolve(t.read())) return;
            await sleep(DELAY);
          }
        }),
      ).then(() => undefined),
  ],
  [
    // What any poller pays that times its waits on an RxJS scheduler (for virtual time) and reads an Observable:
    // one scheduled action per wait, rescheduled from inside itself, and one subscription per reading. No
    // checks, no state, no events.
    'RxJS floor: a scheduler action and a subscription per reading',
    (count) =>
      Promise.all(
        Array.from(
          { length: count },
          () =>
            new Promise<void>((done) => {
              const t = task();
              const reading$ = new Observable<boolean>((subscriber) => {
                subscriber.next(t.read());
                subscriber.complete();
              });
              asyncScheduler.schedule(function (this: SchedulerAction<RxFloorState>, state) {
                const floor = state!;
                floor.action = this;
                reading$.subscribe(floor);
              }, 0, new RxFloorState(done));
            }),
        ),
      ).then(() => undefined),
  ],
  [
    'RxJS defer + repeat + takeWhile',
    (count) =>
      Promise.all(
        Array.from({ length: count }, () => {
          const t = task();
          return lastValueFrom(defer(() => of(t.read())).pipe(repeat({ delay: DELAY }), takeWhile((done) => !done, true), last()));
        }),
      ).then(() => undefined),
  ],
  [
    '@smithy/util-waiter',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          const result = await createWaiter({ client: t, maxWaitTime: 600, minDelay: DELAY / 1000, maxDelay: DELAY / 1000 }, {}, async (client) => ({
            state: client.read() ? WaiterState.SUCCESS : WaiterState.RETRY,
          }));
          if (result.state !== WaiterState.SUCCESS) throw new Error(`smithy waiter ended ${result.state}`);
        }),
      ).then(() => undefined),
  ],
  [
    '@azure/core-lro',
    (count) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const t = task();
          const request = { method: 'POST', url: 'https://example.test/op' };
          const respond = (status: string) => ({
            flatResponse: { status },
            rawResponse: { statusCode: 200, request, headers: {}, body: { status } },
          });
          const poller = createHttpPoller<unknown, OperationState<unknown>>(
            {
              sendInitialRequest: async () => ({
                flatResponse: { status: 'Running' },
                rawResponse: { statusCode: 202, request, headers: { 'operation-location': 'https://example.test/op/1' }, body: { status: 'Running' } },
              }),
              sendPollRequest: async () => respond(t.read() ? 'Succeeded' : 'Running'),
            },
            { intervalInMs: DELAY },
          );
          await poller.pollUntilDone();
        }),
      ).then(() => undefined),
  ],
  [
    'rx-polling',
    (count) => {
      // rx-polling watches document visibility and has no Node mode: a page that is never hidden stands in.
      // It adds a visibility listener per poll; one per waiting task is expected here, not a leak to warn about.
      (globalThis as { document?: unknown }).document ??= pageNeverHidden();
      return Promise.all(
        Array.from({ length: count }, () => {
          const t = task();
          return lastValueFrom(polling(defer(() => of(t.read())), { interval: DELAY }).pipe(takeWhile((done: boolean) => !done, true), last()));
        }),
      ).then(() => undefined);
    },
  ],
  [OURS, (count) => pollTaskRun(count, true)],
  ['poll-task pollTask$, every progress event delivered', (count) => pollTaskRun(count, false)],
];

interface Measure {
  readonly name: string;
  /** CPU µs per reading in steady state: the run after an unmeasured one. */
  readonly cpuPerReading: number;
  /** CPU µs per reading of the first run after a forced collection. */
  readonly cpuAfterCollection: number;
  readonly heapPerTask: number; // bytes
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const ROUNDS = Number(process.env.ENGINE_ROUNDS ?? 7);

/** CPU µs per reading of one run of `run`. */
async function cpuOf(run: Runner): Promise<number> {
  const cpu = process.cpuUsage();
  await run(TASKS);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / (TASKS * READINGS);
}

/**
 * Two runs of `run` after a forced collection (which clears what the previous implementation left): the first
 * measures what a run costs right after the collection, the second the steady state. They differ because a
 * forced collection while no instance of a class is alive lets V8 drop that class's object layouts and
 * deoptimize the code built on them (its deopt trace says "weak objects"): the first run then pays for V8
 * optimizing again, which hits class-based code (RxJS's and ours) and spares code built on object literals
 * and promises. The steady state is what an app that keeps polling pays per reading; the target is judged on
 * it, and both are shown.
 */
async function cpuTwice(run: Runner): Promise<[afterCollection: number, steady: number]> {
  gc();
  const afterCollection = await cpuOf(run);
  return [afterCollection, await cpuOf(run)];
}

/** Heap bytes per waiting task: the largest live heap (after a forced collection) while a run's tasks wait. */
async function heapOnce(run: Runner): Promise<number> {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    await sleep(5);
    while (sampling) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      await sleep(15);
    }
  })();
  await run(TASKS);
  sampling = false;
  await sampler;
  return peak / TASKS;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Every implementation runs once to warm up (so each is measured on optimised code), then ROUNDS times in
 * turn, one after the other, for CPU: the median of its rounds is its figure, so a slow moment of the machine
 * (another process, a major collection) touches every implementation alike and moves no median far. Heap is
 * one run each, at the end.
 */
async function measureAll(): Promise<Measure[]> {
  for (const [, run] of runners) await run(TASKS);
  const steady = runners.map((): number[] => []);
  const afterCollection = runners.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, [, run]] of runners.entries()) {
      const [first, second] = await cpuTwice(run);
      afterCollection[index]!.push(first);
      steady[index]!.push(second);
    }
  }
  const results: Measure[] = [];
  for (const [index, [name, run]] of runners.entries()) {
    results.push({
      name,
      cpuPerReading: median(steady[index]!),
      cpuAfterCollection: median(afterCollection[index]!),
      heapPerTask: await heapOnce(run),
    });
  }
  return results;
}

export async function engine(): Promise<void> {
  if ((globalThis as { gc?: () => void }).gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  const results = await measureAll();
  const smithy = results.find((r) => r.name === '@smithy/util-waiter')!;
  const floor = results[0]!;
  const ours = results.find((r) => r.name === OURS)!;
  const rows = results.map((r) => [
    r.name,
    r.cpuPerReading.toFixed(2),
    (r.cpuPerReading / smithy.cpuPerReading).toFixed(2),
    (r.cpuPerReading / floor.cpuPerReading).toFixed(2),
    r.cpuAfterCollection.toFixed(2),
    (r.cpuAfterCollection / smithy.cpuAfterCollection).toFixed(2),
    Math.round(r.heapPerTask).toLocaleString('en'),
    (r.heapPerTask / smithy.heapPerTask).toFixed(2),
    (r.heapPerTask / floor.heapPerTask).toFixed(2),
  ]);
  const cpuHolds = ours.cpuPerReading <= smithy.cpuPerReading;
  const heapHolds = ours.heapPerTask <= smithy.heapPerTask;
  const text = [
    `${TASKS.toLocaleString('en')} in-memory tasks at once, each done after ${READINGS} readings, ${DELAY} ms between readings; ${machine()}. Each implementation runs once to warm up; then all take ${ROUNDS} turns to measure CPU (user + system time divided by the readings): in each turn a forced collection, a run measured as "first run after a collection", and a run measured as "steady state"; the median of the ${ROUNDS} turns is shown. Heap: once more each (the largest live heap after a forced collection while its tasks wait, divided by the tasks).`,
    '',
    table(
      ['implementation', 'CPU µs / reading, steady', '× smithy', '× floor', 'CPU µs / reading, first run after a collection', '× smithy', 'heap bytes / waiting task', '× smithy', '× floor'],
      rows,
    ),
    '',
    `- CPU per reading (steady state, ${OURS}) at or below @smithy/util-waiter's: ${cpuHolds ? 'holds' : `MISSED by ${((ours.cpuPerReading / smithy.cpuPerReading - 1) * 100).toFixed(0)} %`}${ours.cpuAfterCollection <= smithy.cpuAfterCollection ? '; right after a forced collection too' : `; right after a forced collection it is ${(ours.cpuAfterCollection / smithy.cpuAfterCollection).toFixed(2)}× smithy's`}.`,
    `- Heap per waiting task (${OURS}) at or below @smithy/util-waiter's: ${heapHolds ? 'holds' : `MISSED by ${((ours.heapPerTask / smithy.heapPerTask - 1) * 100).toFixed(0)} %`}.`,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'engine', text);
}
