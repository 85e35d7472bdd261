import { asyncScheduler, lastValueFrom, take, toArray } from 'rxjs';
import {
  pollStrategy,
  DecodeError,
  TransportError,
  UnknownStatusError,
  UnsafeUrlError,
  createTaskPoller,
  withInterval,
  type PollStrategy,
} from '../../lib/index.js';
import type { Fetch } from '../../lib/http/index.js';
import { simulatedSource, startTaskServer, type FaultSpec, type SimTask, type TaskServer } from '../../lib/testing/index.js';
import { dialects, run } from '../helpers/sim.js';
import { trackingScheduler } from '../helpers/sources.js';
import { planOfStrategy } from '../../lib/core/plan.js';

const quick = withInterval(0);
const tenYears = 10 * 365 * 24 * 3600 * 1000;

/** A fault, how the wait ends, and how many status requests it takes (the task needs 2 reads). */
interface Row {
  readonly name: string;
  readonly faults: (other: TaskServer) => FaultSpec[];
  readonly ends: 'result' | (new (...args: never[]) => Error);
  readonly requests: number;
  readonly strategy?: PollStrategy;
  readonly options?: { requestTimeoutMs?: number; maxBodyBytes?: number };
  readonly check?: (error: unknown) => void;
}

const transient = (status: number, retryAfter?: string): Row => ({
  name: `${status}${retryAfter === undefined ? '' : ` with Retry-After ${retryAfter.includes(' ') ? '(an HTTP date)' : retryAfter}`}`,
  faults: () => [{ kind: 'status', status, ...(retryAfter === undefined ? {} : { retryAfter }) }],
  ends: 'result',
  requests: 3,
});

const rows: Row[] = [
  transient(503),
  transient(503, '0'),
  transient(503, new Date(Date.now() - 5000).toUTCString()),
  transient(502),
  transient(502, '0'),
  transient(504),
  transient(504, new Date(Date.now() - 5000).toUTCString()),
  transient(429, '0'),
  transient(500),
  { name: 'a connection reset', faults: () => [{ kind: 'reset' }], ends: 'result', requests: 3 },
  { name: 'a response slower than requestTimeoutMs', faults: () => [{ kind: 'slow', delayMs: 2000 }], ends: 'result', requests: 3, options: { requestTimeoutMs: 300 } },
  { name: 'a body cut mid-way', faults: () => [{ kind: 'truncated' }], ends: 'result', requests: 3 },
  {
    name: 'a clock jump (Retry-After ten years ahead), capped by maxRetryAfterMs',
    faults: () => [{ kind: 'status', status: 503, retryAfter: new Date(Date.now() + tenYears).toUTCString() }],
    ends: 'result',
    requests: 3,
    strategy: withInterval(0, { maxRetryAfterMs: 20 }),
  },
  {
    name: 'transient faults past the budget, ending with the last one and its cause',
    faults: () => [{ kind: 'status', status: 503, times: 10 }],
    ends: TransportError,
    requests: 4,
    strategy: withInterval(0, { maxConsecutiveErrors: 3 }),
    check: (error) => expect(error).toMatchObject({ status: 503, retryable: true }),
  },
  { name: 'HTML instead of JSON', faults: () => [{ kind: 'html' }], ends: DecodeError, requests: 1 },
  { name: 'JSON of the wrong shape', faults: () => [{ kind: 'wrong-shape' }], ends: DecodeError, requests: 1 },
  { name: 'an oversized body', faults: () => [{ kind: 'oversized', bytes: 4000 }], ends: DecodeError, requests: 1, options: { maxBodyBytes: 2000 } },
  { name: 'a redirect to another origin', faults: (other) => [{ kind: 'redirect', location: `${other.url}/elsewhere` }], ends: UnsafeUrlError, requests: 1 },
  { name: 'an unknown status word', faults: () => [{ kind: 'unknown-status', word: 'HIBERNATING' }], ends: UnknownStatusError, requests: 1 },
  {
    name: 'a 404 for a task seen before (expired)',
    faults: () => [{ kind: 'status', status: 404, skip: 1 }],
    ends: TransportError,
    requests: 2,
    check: (error) => expect((error as Error).message).toMatch(/its data has expired on/),
  },
];

describe.each(dialects)('the fault matrix for %s', (dialect) => {
  let sim: TaskServer;
  let other: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer();
    other = await startTaskServer();
  });
  afterEach(() => Promise.all([sim.close(), other.close()]));

  const statusRequests = (task: SimTask) => sim.requests.filter((r) => r.path === new URL(task.url).pathname).length;

  it.each(rows)('$name', async (row) => {
    const task = sim.create(dialect, { reads: 2 });
    for (const fault of row.faults(other)) sim.fault({ ...fault, taskId: task.id });
    // The strategy's timers are counted, so the test can tell that nothing is left running afterwards.
    const timers = trackingScheduler(asyncScheduler);
    const strategy = pollStrategy({ ...planOfStrategy(row.strategy ?? quick)!, scheduler: timers });
    const outcome = await run(simulatedSource(task, row.options ?? {}), strategy);
    expect(timers.pending).toBe(0);
    if (row.ends === 'result') {
      expect(outcome.error).toBeUndefined();
      expect(outcome.events.at(-1)?.type).toBe('result');
    } else {
      expect(outcome.error).toBeInstanceOf(row.ends);
      row.check?.(outcome.error);
    }
    expect(statusRequests(task)).toBe(row.requests);
    expect(other.requests).toHaveLength(0);
  });

  it('a refused connection: retried within the budget, then the last error with its cause', async () => {
    const task = sim.create(dialect, { reads: 2 });
    const closed = await startTaskServer();
    const url = closed.url;
    await closed.close();
    let attempts = 0;
    const redirected: Fetch = (target, init) => {
      attempts++;
      return fetch(target.replace(sim.url, url), init);
    };
    const outcome = await run(simulatedSource(task, { fetch: redirected }), withInterval(0, { maxConsecutiveErrors: 2 }));
    expect(outcome.error).toBeInstanceOf(TransportError);
    expect(outcome.error).toMatchObject({ retryable: true });
    expect(((outcome.error as TransportError).cause as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    expect(outcome.error).toMatchObject({ attempts: 3 });
    expect((outcome.error as Error).message).toMatch(/failed \(ECONNREFUSED\); the network or .* may be down\. Gave up after 3 failed requests in a row \(maxConsecutiveErrors: 2\)\.$/);
    expect(attempts).toBe(3);
  });

  it('a status that goes backwards (succeeded, then running): the first terminal answer stands', async () => {
    const task = sim.create(dialect, { reads: 1, result: { final: true } });
    const poller = createTaskPoller({ strategy: quick });
    const source = simulatedSource(task);
    const first = await lastValueFrom(poller.watch(source).pipe(toArray()));
    expect(first.at(-1)?.type).toBe('result');
    // The service now says the task is running again; a later watcher still gets the first answer, without asking.
    sim.fault({ kind: 'unknown-status', word: dialect === 'deadline' ? 'RUNNING' : dialect === 'evo' ? 'in progress' : dialect === 'affinity' ? 'in-progress' : dialect === 'deepint' ? 'running' : 'RUNNING', taskId: task.id, times: 5 });
    const later = await lastValueFrom(poller.watch(source).pipe(take(5), toArray()));
    expect(later.map((e) => e.type)).toEqual(['result']);
    expect(statusRequests(task)).toBe(1);
  });
});
