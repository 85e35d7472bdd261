import { AbortError, TaskFailedError, TaskTimeoutError, TransportError, taskSource, waitForCompletion, withInterval, type TaskReading } from '../lib/index.js';
import { reading } from './helpers/readings.js';

function sourceOf(...readings: TaskReading<unknown>[]) {
  let call = 0;
  return taskSource({ id: 'task-1', read: async () => readings[Math.min(call++, readings.length - 1)] as TaskReading<unknown> });
}

describe('waitForCompletion', () => {
  it('resolves ok with the result and snapshot', async () => {
    const completion = await waitForCompletion(sourceOf(reading.running(), reading.succeeded('ok')), { strategy: withInterval(0) });
    expect(completion).toEqual({ ok: true, result: 'ok', snapshot: expect.objectContaining({ runStatus: 'succeeded', polls: 2 }) });
  });

  it('resolves a failure with its error and snapshot instead of rejecting', async () => {
    const completion = await waitForCompletion(sourceOf(reading.failed({ code: 'E' })));
    expect(completion.ok).toBe(false);
    expect(completion.error).toBeInstanceOf(TaskFailedError);
    expect(completion.snapshot).toMatchObject({ runStatus: 'failed', polls: 1 });
  });

  it('resolves a timeout as a failure with the last snapshot', async () => {
    let call = 0;
    const source = taskSource({
      id: 'slow',
      read: () => (call++ === 0 ? Promise.resolve(reading.running(0.1)) : new Promise<TaskReading<never>>(() => undefined)),
    });
    const completion = await waitForCompletion(source, { strategy: withInterval(0), timeoutMs: 10 });
    expect(completion.ok).toBe(false);
    expect(completion.error).toBeInstanceOf(TaskTimeoutError);
    expect(completion.snapshot).toMatchObject({ progress: 0.1, polls: 1 });
  });

  it('resolves a transport error as a failure with the last progress snapshot', async () => {
    let call = 0;
    const refused = new TransportError('403 Forbidden', { status: 403, retryable: false });
    const source = taskSource({ id: 'x', read: () => (call++ === 0 ? Promise.resolve(reading.running(0.5)) : Promise.reject(refused)) });
    const completion = await waitForCompletion(source, { strategy: withInterval(0) });
    expect(completion).toEqual({ ok: false, error: refused, snapshot: expect.objectContaining({ polls: 1, progress: 0.5 }) });
  });

  it('rejects when its signal aborts', async () => {
    await expect(waitForCompletion(sourceOf(reading.running()), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it('rejects bad options with a TypeError', async () => {
    await expect(waitForCompletion(sourceOf(reading.running()), { timeoutMs: Number.NaN })).rejects.toThrow(
      new TypeError('waitForCompletion: option "timeoutMs" must be a number of at least 0 (or Infinity), but was NaN.'),
    );
  });
});
