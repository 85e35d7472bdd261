import { throwError } from 'rxjs';
import { TaskFailedError, TransportError, pollTask$, taskState, withInterval } from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, scriptedSource, sequenceSource } from '../helpers/sources.js';

describe('taskState', () => {
  it('starts active at once, follows progress and ends succeeded', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('t-1', scheduler, [reading.running(0.5), reading.succeeded('done')]);
      const stream = pollTask$(source, withInterval(1)).pipe(taskState());
      expectObservable(stream).toBe('ab-(c|)', {
        a: { state: 'active' },
        b: { state: 'active', snapshot: expect.objectContaining({ polls: 1, progress: 0.5 }) },
        c: { state: 'succeeded', ok: true, result: 'done', snapshot: expect.objectContaining({ polls: 2 }) },
      });
    });
  });

  it('turns a task failure into a failed state with the error and the failing snapshot, and completes', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('t-1', scheduler, [reading.running(0.5), reading.failed({ code: 'E' })]);
      expectObservable(pollTask$(source, withInterval(1)).pipe(taskState())).toBe('ab-(c|)', {
        a: { state: 'active' },
        b: { state: 'active', snapshot: expect.objectContaining({ polls: 1 }) },
        c: { state: 'failed', ok: false, error: expect.any(TaskFailedError), snapshot: expect.objectContaining({ polls: 2, runStatus: 'failed' }) },
      });
    });
  });

  it('turns an error before any reading into a failed state without snapshot', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const refused = new TransportError('403', { status: 403, retryable: false });
      const source = scriptedSource('t-1', () => throwError(() => refused));
      expectObservable(pollTask$(source).pipe(taskState())).toBe('(ab|)', {
        a: { state: 'active' },
        b: { state: 'failed', ok: false, error: refused },
      });
    });
  });
});
