import { map, take } from 'rxjs';
import { PollingStoppedError, TaskFailedError, pollTask$, toResult, withInterval } from '../../lib/index.js';
import { reading } from '../helpers/readings.js';
import { newTestScheduler, sequenceSource } from '../helpers/sources.js';

describe('toResult', () => {
  it('emits only the result, then completes', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('t-1', scheduler, [reading.running(), reading.running(), reading.succeeded({ id: 'r' })]);
      expectObservable(pollTask$(source, withInterval(1)).pipe(toResult())).toBe('-----(r|)', { r: { id: 'r' } });
    });
  });

  it('passes the task failure through', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const source = sequenceSource('t-1', scheduler, [reading.failed({ code: 'X' })]);
      expectObservable(pollTask$(source).pipe(toResult(), map(String))).toBe('-#', undefined, expect.any(TaskFailedError));
    });
  });

  it('errors with PollingStoppedError when the stream completes without a result', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const source = sequenceSource('t-7', scheduler, [reading.running(0.5)]);
      let error: unknown;
      pollTask$(source, withInterval(1)).pipe(take(2), toResult()).subscribe({ error: (e: unknown) => (error = e) });
      flush();
      expect(error).toBeInstanceOf(PollingStoppedError);
      expect((error as PollingStoppedError).lastSnapshot?.polls).toBe(2);
      expect((error as PollingStoppedError).taskId).toBe('t-7');
    });
  });
});
