import fc from 'fast-check';
import { lastValueFrom, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import {
  PollingStoppedError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  TransportError,
  pollAll$,
  pollTask$,
  taskState,
  waitForCompletion,
  withInterval,
  type Outcome,
  type TaskReading,
  type TaskSnapshot,
  type TaskState,
} from '../../lib/index.js';
import { failedOutcome, snapshotOf } from '../../lib/core/outcome.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource } from '../helpers/sources.js';

const snapshot = (polls: number, taskId = 't-1'): TaskSnapshot => ({
  taskId,
  runStatus: 'running',
  vendorStatus: 'RUNNING',
  polls,
  elapsedMs: polls * 10,
  raw: {},
});

describe('snapshotOf', () => {
  it('is the snapshot of the reading that ended the wait, for a failure and a cancel', () => {
    const failing = { ...snapshot(3), runStatus: 'failed' as const };
    expect(snapshotOf(new TaskFailedError(failing))).toBe(failing);
    const canceled = { ...snapshot(2), runStatus: 'canceled' as const };
    expect(snapshotOf(new TaskCanceledError(canceled))).toBe(canceled);
  });

  it('is the last snapshot seen, for a timeout and a stop', () => {
    const last = snapshot(4);
    expect(snapshotOf(new TaskTimeoutError(100, 120, last))).toBe(last);
    expect(snapshotOf(new PollingStoppedError(last))).toBe(last);
  });

  it('is undefined for errors without one and for anything that is not an object', () => {
    for (const error of [new TaskTimeoutError(100, 120), new PollingStoppedError(undefined, 't'), new TransportError('503', { status: 503, retryable: true }), new Error('x'), null, undefined, 'text', 42, { snapshot: 'not one' }]) {
      expect(snapshotOf(error)).toBeUndefined();
    }
  });
});

describe('failedOutcome', () => {
  it('takes the error’s snapshot over the last one seen, else the last one seen, else none', () => {
    const seen = snapshot(1);
    const carried = { ...snapshot(2), runStatus: 'failed' as const };
    const failure = new TaskFailedError(carried);
    expect(failedOutcome(failure, seen)).toStrictEqual({ ok: false, error: failure, snapshot: carried });
    const plain = new Error('x');
    expect(failedOutcome(plain, seen)).toStrictEqual({ ok: false, error: plain, snapshot: seen });
    expect(failedOutcome(plain)).toStrictEqual({ ok: false, error: plain });
    expect('snapshot' in failedOutcome(plain)).toBe(false);
  });
});

/** How a scripted task ends after its running readings. */
type Ending = 'succeeded' | 'failed' | 'canceled' | 'transport error';

/** A source on virtual time: `running.length` running readings, then the ending, each after 1 ms. */
function scripted(scheduler: TestScheduler, running: readonly (number | undefined)[], ending: Ending, refused: TransportError) {
  const endReading: TaskReading<string> | undefined =
    ending === 'succeeded' ? reading.succeeded('done') : ending === 'failed' ? reading.failed({ code: 'E' }) : ending === 'canceled' ? reading.canceled() : undefined;
  return scriptedSource<string>('t-1', (call): Observable<TaskReading<string>> => {
    if (call < running.length) return scheduler.createColdObservable('-(a|)', { a: reading.running(running[call]) });
    return endReading === undefined ? scheduler.createColdObservable<TaskReading<string>>('-#', undefined, refused) : scheduler.createColdObservable('-(a|)', { a: endReading });
  });
}

describe('one Outcome for every way of waiting', () => {
  it('waitForCompletion, pollAll$ in settle mode and taskState end with the same outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), { maxLength: 3 }),
        fc.constantFrom<Ending>('succeeded', 'failed', 'canceled', 'transport error'),
        async (running, ending) => {
          const scheduler = newTestScheduler();
          const refused = new TransportError('403 Forbidden', { status: 403, retryable: false });
          let completion!: Promise<Outcome<string>>;
          let settled!: Promise<Outcome<string>>;
          let state!: Promise<TaskState<string>>;
          scheduler.run(() => {
            completion = waitForCompletion(scripted(scheduler, running, ending, refused), { strategy: withInterval(1) });
            settled = lastValueFrom(pollAll$([scripted(scheduler, running, ending, refused)], { mode: 'settle', strategy: withInterval(1) })).then((event) => {
              if (event.type !== 'result') throw new Error('the batch did not end with its result');
              return event.results[0]!;
            });
            state = lastValueFrom(pollTask$(scripted(scheduler, running, ending, refused), withInterval(1)).pipe(taskState()));
          });
          const [outcome, fromBatch, last] = await Promise.all([completion, settled, state]);
          expect(outcome.ok).toBe(ending === 'succeeded');
          expect(outcome.snapshot?.polls).toBe(ending === 'transport error' ? (running.length === 0 ? undefined : running.length) : running.length + 1);
          if (ending === 'transport error') expect(outcome.error).toBe(refused);
          expect(fromBatch).toStrictEqual(outcome);
          const { state: tag, ...rest } = last;
          expect(tag).toBe(ending === 'succeeded' ? 'succeeded' : 'failed');
          expect(rest).toStrictEqual(outcome);
        },
      ),
      { numRuns: 60 },
    );
  });
});
