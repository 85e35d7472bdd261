// Engine overhead: 5,000 tasks waited on at once, each read through an async status read that answers a new
// object per read, 1 ms between readings, every wait stoppable by its own cancel mechanism. CPU per reading and
// heap per waiting task for pollTask$ and its peers, in the same run, as ratios to @smithy/util-waiter.
import { setMaxListeners } from 'node:events';
import { createHttpPoller, type OperationState } from '@azure/core-lro';
import { createWaiter, WaiterState, type WaiterResult } from '@smithy/util-waiter';
import { defer, Observable, takeWhile, type Subscription } from 'rxjs';
import polling from 'rx-polling';
import { pollTask$, taskSource, toResult, withInterval, type TaskEvent, type TaskReading, type TaskSource } from 'poll-task';
import { machine, table, writeSection } from './report';

const TASKS = Number(process.env.ENGINE_TASKS ?? 5000);
const READINGS = 20;
/** ms between one reading and the next request: a 1 ms Node timer for everyone (see docs/benchmarks.md). */
const DELAY = 1;
const ROUNDS = Number(process.env.ENGINE_ROUNDS ?? 5);

// ---- The remote task, the same for every implementation ----------------------------------------------------

/** What the service answers to one status request: a new object every time, as a parsed response body is. */
interface StatusBody {
  readonly state: 'RUNNING' | 'DONE';
  readonly percent: number;
}

/** Counts every status read of a run, and wakes whoever waits for a count. */
const reads = {
  total: 0,
  target: Infinity,
  reached: (): void => {},
  /** Resolves once `count` status reads have been made in all (counting from now). */
  until(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.target = this.total + count;
      this.reached = resolve;
    });
  },
};

/** One remote task: it says DONE on its `doneAt`-th read (never, for Infinity). */
class RemoteTask {
  private count = 0;
  constructor(private readonly doneAt: number) {}
  /** The status read, synchronous here; every implementation calls it from its own async function. */
  status(): StatusBody {
    const n = ++this.count;
    if (++reads.total === reads.target) reads.reached();
    return n >= this.doneAt ? { state: 'DONE', percent: 100 } : { state: 'RUNNING', percent: (100 * n) / this.doneAt };
  }
}

/** The user's mapping of a status body to poll-task's reading: a new TaskReading per read. */
function toReading(body: StatusBody): TaskReading<number> {
  return body.state === 'DONE'
    ? { runStatus: 'succeeded', vendorStatus: body.state, result: body.percent, raw: body }
    : { runStatus: 'running', vendorStatus: body.state, progress: body.percent / 100, raw: body };
}

// ---- The implementations ------------------------------------------------------------------------------------

/** One wait: `done` settles when the task ended on its own (or was stopped); `stop` is the caller's cancel. */
interface Wait {
  readonly done: Promise<unknown>;
  stop(): void;
}

interface Implementation {
  readonly name: string;
  /** Starts waiting for `task`, the way that implementation's users are told to. */
  start(task: RemoteTask): Wait;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A wait on an Observable: subscribed now, stopped by unsubscribing; `done` resolves on complete. */
function subscribed<T>(values: Observable<T>, next: (value: T) => void): Wait {
  let subscription: Subscription | undefined;
  const done = new Promise<void>((resolve, reject) => {
    subscription = values.subscribe({ next, error: reject, complete: resolve });
  });
  return { done, stop: () => subscription!.unsubscribe() };
}

function pageNeverHidden(): EventTarget {
  const page = Object.assign(new EventTarget(), { hidden: false });
  setMaxListeners(0, page);
  return page;
}

/** The sink every delivered progress event or result goes to, so no implementation's output is dead code. */
let delivered = 0;
const deliver = (): void => {
  delivered++;
};

/** The smithy waiter; the targets are judged against it. */
const WAITER = '@smithy/util-waiter';
const OURS = 'poll-task pollTask$ with toResult()';
const OURS_PROGRESS = 'poll-task pollTask$, every progress event delivered';
const SYNC = '(sync in-memory source: easier work)';

/** pollTask$ over taskSource with an async read, as the README tells users to build a source. */
function pollTaskSource(task: RemoteTask): TaskSource<number> {
  return taskSource<number>({ id: 'task', read: async (_signal) => toReading(task.status()) });
}

const implementations: readonly Implementation[] = [
  {
    name: 'hand-written async loop (the floor)',
    start(task) {
      const controller = new AbortController();
      const { signal } = controller;
      const done = (async () => {
        const read = async (_signal: AbortSignal) => task.status();
        while (!signal.aborted) {
          const body = await read(signal);
          if (body.state === 'DONE') return body.percent;
          await sleep(DELAY);
        }
        return undefined;
      })();
      return { done, stop: () => controller.abort() };
    },
  },
  {
    name: WAITER,
    start(task) {
      const controller = new AbortController();
      const done = createWaiter(
        // minDelay = maxDelay: its backoff then waits exactly minDelay each time (a setTimeout); it rejects 0.
        { client: task, maxWaitTime: 3600, minDelay: DELAY / 1000, maxDelay: DELAY / 1000, abortSignal: controller.signal },
        undefined,
        async (client) => {
          const body = client.status();
          return { state: body.state === 'DONE' ? WaiterState.SUCCESS : WaiterState.RETRY, reason: body };
        },
      ).then((result: WaiterResult) => {
        if (result.state === WaiterState.SUCCESS) deliver();
        else if (result.state !== WaiterState.ABORTED) throw new Error(`smithy waiter ended ${result.state}`);
      });
      return { done, stop: () => controller.abort() };
    },
  },
  { name: OURS, start: (task) => subscribed(pollTask$(pollTaskSource(task), withInterval(DELAY)).pipe(toResult()), deliver) },
  { name: OURS_PROGRESS, start: (task) => subscribed<TaskEvent<number>>(pollTask$(pollTaskSource(task), withInterval(DELAY)), deliver) },
  {
    name: '@azure/core-lro (progress by onProgress)',
    start(task) {
      const controller = new AbortController();
      const request = { method: 'GET', url: 'https://example.test/op/1' };
      const poller = createHttpPoller<unknown, OperationState<unknown>>(
        {
          // The start of the operation, which an LRO poller insists on: answered without reading the task.
          sendInitialRequest: async () => ({
            flatResponse: { status: 'Running' },
            rawResponse: { statusCode: 202, request, headers: { 'operation-location': request.url }, body: { status: 'Running' } },
          }),
          sendPollRequest: async () => {
            const body = task.status();
            const status = body.state === 'DONE' ? 'Succeeded' : 'Running';
            return { flatResponse: body, rawResponse: { statusCode: 200, request, headers: {}, body: { status, percent: body.percent } } };
          },
        },
        { intervalInMs: DELAY },
      );
      poller.onProgress(deliver);
      const done = poller.pollUntilDone({ abortSignal: controller.signal }).then(deliver, (error: unknown) => {
        if (!controller.signal.aborted) throw error;
      });
      return { done, stop: () => controller.abort() };
    },
  },
  {
    name: 'rx-polling (every reading delivered)',
    start(task) {
      // rx-polling watches document visibility and has no Node mode: a page that is never hidden stands in.
      (globalThis as { document?: unknown }).document ??= pageNeverHidden();
      const read = async () => task.status();
      return subscribed(
        polling(defer(read), { interval: DELAY }).pipe(takeWhile((body: StatusBody) => body.state !== 'DONE', true)),
        deliver,
      );
    },
  },
  {
    name: `poll-task pollTask$ with toResult() ${SYNC}`,
    start(task) {
      // What the old bench gave pollTask$: a synchronous Observable and no AbortSignal per read.
      const reading$ = new Observable<TaskReading<number>>((subscriber) => {
        subscriber.next(toReading(task.status()));
        subscriber.complete();
      });
      return subscribed(pollTask$({ id: 'task', read: () => reading$ }, withInterval(DELAY)).pipe(toResult()), deliver);
    },
  },
];

// ---- Measuring ----------------------------------------------------------------------------------------------

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Waits until no status read has been made for 20 ms: every stopped wait has let go of its timers. */
async function quiet(): Promise<void> {
  for (let last = -1; last !== reads.total; ) {
    last = reads.total;
    await sleep(20);
  }
}

/** CPU µs per reading of TASKS waits that end on their own after READINGS readings. */
async function cpuToDone(impl: Implementation): Promise<number> {
  const first = reads.total;
  const start = cpuNow();
  const waits = Array.from({ length: TASKS }, () => impl.start(new RemoteTask(READINGS)).done);
  await Promise.all(waits);
  const used = cpuNow() - start;
  const made = reads.total - first;
  if (made !== TASKS * READINGS) throw new Error(`${impl.name}: ${made} readings, not ${TASKS * READINGS}`);
  return used / made;
}

/**
 * CPU µs per reading of TASKS waits on tasks that never end, each stopped by the caller's cancel mechanism
 * once TASKS × READINGS readings were made in all; the CPU counts until the stopped waits went quiet.
 */
async function cpuStopped(impl: Implementation): Promise<number> {
  const first = reads.total;
  const start = cpuNow();
  const enough = reads.until(TASKS * READINGS);
  const waits = Array.from({ length: TASKS }, () => impl.start(new RemoteTask(Infinity)));
  await enough;
  const made = reads.total - first;
  for (const wait of waits) wait.stop();
  await quiet();
  const used = cpuNow() - start;
  return used / made;
}

/** Heap bytes per waiting task: the live heap (after a forced collection) with TASKS waits mid-way, less before. */
async function heapPerTask(impl: Implementation): Promise<number> {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const enough = reads.until(TASKS * 5);
  const waits = Array.from({ length: TASKS }, () => impl.start(new RemoteTask(Infinity)));
  await enough;
  gc();
  const used = process.memoryUsage().heapUsed - baseline;
  for (const wait of waits) wait.stop();
  await quiet();
  return used / TASKS;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Measure {
  readonly name: string;
  /** CPU µs per reading, to done, in steady state: the run after a measured one. */
  readonly steady: number;
  /** CPU µs per reading, to done, of the first run after a forced collection. */
  readonly afterCollection: number;
  /** CPU µs per reading, never done, stopped by the caller. */
  readonly stopped: number;
  readonly heap: number;
}

/**
 * Every implementation warms up alike (one run of each workload), then all take ROUNDS turns, in an order
 * that alternates (forwards, then backwards), so what the machine does meanwhile touches each alike: in each
 * turn a forced collection, a run to done measured as "first run after a collection", one measured as "steady
 * state", a stopped run, and a heap measure. The median of the turns is the figure.
 */
async function measureAll(): Promise<Measure[]> {
  for (const impl of implementations) {
    await cpuToDone(impl);
    await cpuStopped(impl);
  }
  const samples = implementations.map(() => ({ steady: [] as number[], afterCollection: [] as number[], stopped: [] as number[], heap: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    const order = implementations.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const impl = implementations[index]!;
      const sample = samples[index]!;
      gc();
      sample.afterCollection.push(await cpuToDone(impl));
      sample.steady.push(await cpuToDone(impl));
      sample.stopped.push(await cpuStopped(impl));
      sample.heap.push(await heapPerTask(impl));
    }
  }
  return implementations.map(({ name }, index) => {
    const sample = samples[index]!;
    return {
      name,
      steady: median(sample.steady),
      afterCollection: median(sample.afterCollection),
      stopped: median(sample.stopped),
      heap: median(sample.heap),
    };
  });
}

/** "holds" or "MISSED" for a ratio against 1.0×, and against the 0.75× stretch. */
function verdict(label: string, ratio: number): string {
  const stretch = ratio <= 0.75 ? 'stretch 0.75×: holds' : 'stretch 0.75×: missed';
  return `- ${label}: ${ratio.toFixed(2)}× the waiter's, target 1.0×: ${ratio <= 1 ? 'holds' : 'MISSED'} (${stretch}).`;
}

export async function engine(): Promise<void> {
  if ((globalThis as { gc?: () => void }).gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  const results = await measureAll();
  if (delivered === 0) throw new Error('no implementation delivered anything');
  const by = (name: string) => results.find((r) => r.name === name)!;
  const waiter = by(WAITER);
  const ours = by(OURS);
  const progress = by(OURS_PROGRESS);
  const ratio = (figure: number, of: number) => (figure / of).toFixed(2);
  const rows = results.map((r) => [
    r.name,
    r.steady.toFixed(2),
    ratio(r.steady, waiter.steady),
    r.afterCollection.toFixed(2),
    ratio(r.afterCollection, waiter.afterCollection),
    r.stopped.toFixed(2),
    ratio(r.stopped, waiter.stopped),
    Math.round(r.heap).toLocaleString('en'),
    ratio(r.heap, waiter.heap),
  ]);
  const text = [
    `${TASKS.toLocaleString('en')} tasks waited on at once, each read by an async function that answers a new object per read, ${DELAY} ms (a Node timer) between readings, each wait stoppable by its own cancel mechanism; ${machine()}. "To done": each task says done on its ${READINGS}th read. "Stopped": tasks never end; the caller stops every wait its own way (abort signal, unsubscribe) once ${READINGS} readings per task were made in all, and the CPU counts until the stopped waits went quiet. Every implementation runs each workload once to warm up; then all take ${ROUNDS} turns, forwards and backwards alternately: a forced collection, a run to done ("first run after a collection"), another ("steady"), a stopped run, and the heap with all tasks waiting (after a forced collection, less the heap before, divided by the tasks). Medians of the ${ROUNDS} turns.`,
    '',
    table(
      [
        'implementation',
        'CPU µs / reading, to done, steady',
        '× waiter',
        'first run after a collection',
        '× waiter',
        'CPU µs / reading, stopped',
        '× waiter',
        'heap bytes / waiting task',
        '× waiter',
      ],
      rows,
    ),
    '',
    verdict(`CPU per reading, steady, ${OURS}`, ours.steady / waiter.steady),
    verdict(`CPU per reading, first run after a collection, ${OURS}`, ours.afterCollection / waiter.afterCollection),
    verdict(`CPU per reading, steady, ${OURS_PROGRESS}`, progress.steady / waiter.steady),
    verdict(`CPU per reading, first run after a collection, ${OURS_PROGRESS}`, progress.afterCollection / waiter.afterCollection),
    verdict(`CPU per reading, stopped by the caller, ${OURS}`, ours.stopped / waiter.stopped),
    verdict(`Heap per waiting task, ${OURS}`, ours.heap / waiter.heap),
    verdict(`Heap per waiting task, ${OURS_PROGRESS}`, progress.heap / waiter.heap),
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'engine', text);
}
