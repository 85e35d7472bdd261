import { PollTaskError, createTaskPoller, isPollTaskError, withInterval, type TransportError } from '../../lib/index.js';
import { countingFetch } from '../helpers/counting-fetch.js';
import { simulatedSource, startTaskServer, type SimTask, type TaskServer } from '../../lib/testing/index.js';
import { dialects, until } from '../helpers/sim.js';
import { seeded } from '../bench/seeded.js';

/**
 * Whether `error` is an Evo result fetch giving up: a retryable TransportError for the result URL (the status
 * URL less its /status), three failed attempts. Told by its fields, never by its message.
 */
function isResultFetchGiveUp(error: PollTaskError, task: SimTask): boolean {
  const { kind, attempts } = error;
  const { retryable, url } = error as TransportError;
  return kind === 'transport' && retryable && attempts === 3 && url === task.url.replace(/\/status$/, '');
}

describe('load with faults', () => {
  let sim: TaskServer;
  beforeEach(async () => {
    sim = await startTaskServer({ random: seeded(20261123) });
  });
  afterEach(() => sim.close());

  it('ends 1,000 tasks of mixed dialects exactly once each, within the request budget, with 10 % of requests faulted', async () => {
    const budget = 16;
    // 10 % of all requests fail: mostly transient faults, and a few that end their task with a typed error.
    sim.fault({ kind: 'status', status: 503, retryAfterMs: 0, probability: 0.04, times: Infinity });
    sim.fault({ kind: 'reset', probability: 0.03, times: Infinity });
    sim.fault({ kind: 'status', status: 429, retryAfter: '0', probability: 0.02, times: Infinity });
    sim.fault({ kind: 'malformed', probability: 0.01, times: Infinity });
    const tasks: SimTask[] = Array.from({ length: 1000 }, (_, i) => sim.create(dialects[i % dialects.length]!, { reads: 2 + (i % 3), result: { n: i } }));

    const counting = countingFetch();
    const poller = createTaskPoller({ strategy: withInterval(0, { maxConsecutiveErrors: 8 }), maxConcurrentRequests: budget });
    const endings = new Map<string, Array<'result' | PollTaskError>>();
    const strays: unknown[] = [];
    for (const task of tasks) {
      const source = simulatedSource(task, { fetch: counting.fetch });
      poller.watch(source).subscribe({
        next: (event) => {
          if (event.type === 'result') endings.set(task.id, [...(endings.get(task.id) ?? []), 'result']);
        },
        error: (error: unknown) => {
          if (isPollTaskError(error)) endings.set(task.id, [...(endings.get(task.id) ?? []), error]);
          else strays.push(error);
        },
      });
    }
    await until(
      () => endings.size + strays.length === tasks.length && poller.stats().inFlight === 0,
      'every task to end',
      50_000,
    ).catch((error: Error) => {
      // Say how far it got: tasks ended, requests in flight and queued, loops still polling.
      throw new Error(`${error.message}: ${endings.size + strays.length} of ${tasks.length} ended; ${JSON.stringify(poller.stats())}`);
    });

    expect(strays).toEqual([]);
    // Named, so a failure says which tasks ended other than once and how.
    const notOnce = tasks.filter((task) => endings.get(task.id)?.length !== 1);
    expect(notOnce.map((task) => `${task.dialect} ${task.id}: ${String(endings.get(task.id) ?? 'no ending')}`)).toEqual([]);
    const failures = [...endings.values()].flat().filter((ending): ending is PollTaskError => ending !== 'result');
    // Besides malformed bodies, one ending is allowed: an Evo result fetch (the only dialect that fetches the
    // result apart) gives up after three transient failures in a row, about one run in ten at this fault
    // rate. Anything else is named in the failure.
    const unexpected = tasks.flatMap((task) =>
      (endings.get(task.id) ?? [])
        .filter((ending): ending is PollTaskError => ending !== 'result' && ending.kind !== 'decode')
        .filter((error) => !(task.dialect === 'evo' && isResultFetchGiveUp(error, task)))
        .map((error) => `${task.dialect} ${task.id}: ${error.kind}: ${error.message}`),
    );
    expect(unexpected).toEqual([]);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.length).toBeLessThan(100);
    const faulted = sim.requests.filter((r) => r.fault !== undefined).length;
    expect(faulted / sim.requests.length).toBeGreaterThan(0.07);
    expect(faulted / sim.requests.length).toBeLessThan(0.13);
    expect(counting.mostInFlight()).toBeLessThanOrEqual(budget);
    expect(sim.stats()).toMatchObject({ inFlight: 0, mostInFlight: expect.any(Number) });
    expect(sim.stats().mostInFlight).toBeLessThanOrEqual(budget);
    expect(poller.stats()).toMatchObject({ inFlight: 0, queued: 0, polling: 0 });
  }, 60_000);
});
