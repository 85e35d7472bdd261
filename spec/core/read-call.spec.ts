// TaskSource.readCall: the status read as a plain call, which a plan's loop uses instead of subscribing read().
import fc from 'fast-check';
import { lastValueFrom, Observable, of, VirtualTimeScheduler } from 'rxjs';
import * as t from 'io-ts';
import { SourceContractError, TransportError, pollTask$, taskSource, toResult, withInterval, type AnyPollStrategy, type TaskReading, type TaskSource } from '../../lib/index.js';
import { reading } from '../helpers/readings.js';

/** A source whose read() and readCall are counted apart; readCall answers `answer(n)` for its n-th call (0-based). */
function countedSource(answer: (call: number) => unknown): TaskSource<number> & { reads: number; calls: number } {
  const counts = { reads: 0, calls: 0 };
  return Object.assign(counts, {
    id: 'job-1',
    read: () => {
      counts.reads++;
      return of(reading.succeeded(1) as TaskReading<number>);
    },
    readCall: () => answer(counts.calls++) as Promise<TaskReading<number>>,
  });
}

const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TaskSource.readCall', () => {
  it('is what taskSource makes of its read, and absent with a resultCodec (whose readings must be decoded)', () => {
    const read = async (): Promise<TaskReading<number>> => reading.running();
    expect(taskSource({ id: 'a', read }).readCall).toBe(read);
    expect(taskSource({ id: 'a', read, resultCodec: t.number }).readCall).toBeUndefined();
  });

  it('is called instead of read() under a strategy with a plan, and read() under one without', async () => {
    const source = countedSource(() => Promise.resolve(reading.succeeded(2)));
    expect(await lastValueFrom(pollTask$(source, withInterval(0)).pipe(toResult()))).toBe(2);
    expect([source.calls, source.reads]).toEqual([1, 0]);
    const plain: AnyPollStrategy = (readings) => withInterval(0)(readings);
    expect(await lastValueFrom(pollTask$(source, plain).pipe(toResult()))).toBe(1);
    expect([source.calls, source.reads]).toEqual([1, 1]);
  });

  it('waits as read() would: the same readings, errors and end, whatever each call answers', async () => {
    type Step = 'running' | 'done' | 'reject' | 'throw' | 'observable' | 'nothing';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Step>('running', 'reject', 'throw', 'observable', 'nothing'), { maxLength: 6 }), async (steps) => {
        const script = [...steps, 'done' as Step];
        const answerOf = (step: Step): unknown => {
          if (step === 'throw') throw new TransportError('GET https://x/job answered 503.', { retryable: true, status: 503 });
          if (step === 'reject') return Promise.reject(new TransportError('GET https://x/job failed (ECONNRESET).', { retryable: true }));
          if (step === 'observable') return of(reading.running());
          if (step === 'nothing') return 42;
          return Promise.resolve(step === 'done' ? reading.succeeded(7) : reading.running());
        };
        const outcome = async (viaCall: boolean) => {
          let n = 0;
          const source: TaskSource<number> = {
            id: 'job-1',
            read: () => new Observable<TaskReading<number>>((subscriber) => {
              try {
                const answer = answerOf(script[Math.min(n++, script.length - 1)]!);
                if (answer instanceof Observable) return answer.subscribe(subscriber);
                if (answer instanceof Promise) answer.then((r) => (subscriber.next(r), subscriber.complete()), (e: unknown) => subscriber.error(e));
                else subscriber.error(new SourceContractError(`Source "job-1" read() returned ${typeof answer}, not a Promise or an Observable; return the request's Promise (or Observable).`, { taskId: 'job-1' }));
              } catch (error) {
                subscriber.error(error);
              }
              return undefined;
            }),
            ...(viaCall ? { readCall: () => answerOf(script[Math.min(n++, script.length - 1)]!) as Promise<TaskReading<number>> } : {}),
          };
          const seen: string[] = [];
          await new Promise<void>((resolve) =>
            pollTask$(source, withInterval(0, { maxConsecutiveErrors: 2 })).subscribe({
              next: (event) => seen.push(event.type === 'result' ? `result ${event.result}` : event.snapshot.runStatus),
              error: (error: unknown) => (seen.push(`error ${(error as Error).name} ${(error as Error).message}`), resolve()),
              complete: () => resolve(),
            }),
          );
          return { seen, reads: n };
        };
        expect(await outcome(true)).toEqual(await outcome(false));
      }),
      { numRuns: 60 },
    );
  });

  it('drops the answer of a call the wait gave up on, and aborts its signal', async () => {
    let resolveLate!: (reading: TaskReading<number>) => void;
    let signal: AbortSignal | undefined;
    const source: TaskSource<number> = {
      id: 'job-1',
      read: () => of(reading.running()),
      readCall: (given) => ((signal = given), new Promise<TaskReading<number>>((resolve) => (resolveLate = resolve))),
    };
    const seen: unknown[] = [];
    const subscription = pollTask$(source, withInterval(0)).subscribe({ next: (event) => seen.push(event), error: (error: unknown) => seen.push(error) });
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
    resolveLate(reading.succeeded(1));
    await flushed();
    expect(seen).toEqual([]);
  });

  it('is refused when it is not a function', () => {
    expect(() => pollTask$({ id: 'j', read: () => of(reading.running()), readCall: 5 } as never)).toThrow(/has a readCall that is not a function/);
  });

  it('runs on virtual time like any read: a wait of calls answered at once takes exactly its delays', async () => {
    const scheduler = new VirtualTimeScheduler();
    let n = 0;
    const source: TaskSource<number> = { id: 'job-1', read: () => of(reading.running()), readCall: async () => (++n >= 4 ? reading.succeeded(n) : reading.running()) };
    const elapsed: number[] = [];
    let done = false;
    pollTask$(source, withInterval(1000, { scheduler })).subscribe({ next: (event) => elapsed.push(event.snapshot.elapsedMs), complete: () => (done = true) });
    for (let turn = 0; turn < 20 && !done; turn++) {
      await flushed();
      scheduler.flush();
    }
    expect(elapsed).toEqual([0, 1000, 2000, 3000]);
  });
});
