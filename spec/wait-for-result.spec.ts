import {
  AbortError,
  TaskFailedError,
  TaskTimeoutError,
  isPollTaskError,
  taskSource,
  waitForResult,
  withInterval,
  type TaskReading,
  type TaskSnapshot,
} from '../lib/index.js';
import { reading } from './helpers/readings.js';
import { liveTimers } from './helpers/timers.js';

/** A Promise-based source that answers `readings` in turn (the last repeats), counting reads and cancels. */
function promiseSource(readings: TaskReading<unknown>[]) {
  const counts = { reads: 0, cancels: 0 };
  const source = taskSource({
    id: 'merge-1',
    read: async () => readings[Math.min(counts.reads++, readings.length - 1)] as TaskReading<unknown>,
    cancel: async () => {
      counts.cancels++;
    },
  });
  return { source, counts };
}

/** A source whose reads never answer, recording their signals. */
function silentSource() {
  const signals: AbortSignal[] = [];
  const source = taskSource({
    id: 'stuck-1',
    read: (signal) => {
      signals.push(signal);
      return new Promise<TaskReading<never>>(() => undefined);
    },
    cancel: async () => undefined,
  });
  return { source, signals };
}

describe('waitForResult', () => {
  it('resolves with the result and reports progress on the way', async () => {
    const { source } = promiseSource([reading.running(0.3), reading.running(0.6), reading.succeeded({ merged: 2 })]);
    const seen: TaskSnapshot[] = [];
    const result = await waitForResult(source, { strategy: withInterval(0), onProgress: (s) => seen.push(s) });
    expect(result).toEqual({ merged: 2 });
    expect(seen.map((s) => [s.polls, s.progress])).toEqual([
      [1, 0.3],
      [2, 0.6],
    ]);
  });

  it('rejects with the typed failure', async () => {
    const { source } = promiseSource([reading.failed({ code: 'MERGE_CONFLICT', message: 'Duplicate entity' })]);
    const error = await waitForResult(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).failure.code).toBe('MERGE_CONFLICT');
  });

  it('rejects with TaskTimeoutError after timeoutMs and aborts the read in flight', async () => {
    const { source, signals } = silentSource();
    const error = await waitForResult(source, { timeoutMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as TaskTimeoutError).timeoutMs).toBe(5);
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it('rejects with an AbortError when the signal aborts, stopping all work at once', async () => {
    const before = liveTimers();
    const { source, counts } = promiseSource([reading.running()]);
    const controller = new AbortController();
    const waiting = waitForResult(source, {
      strategy: withInterval(60_000),
      signal: controller.signal,
      onProgress: () => controller.abort('user left'),
    });
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).name).toBe('AbortError');
    expect((error as AbortError).kind).toBe('aborted');
    expect((error as AbortError).cause).toBe('user left');
    expect((error as AbortError).message).toBe('The wait for task "merge-1" was aborted by its signal; nothing more will be requested.');
    expect(isPollTaskError(error)).toBe(true);
    expect(counts.reads).toBe(1);
    expect(counts.cancels).toBe(0);
    expect(liveTimers()).toBe(before);
  });

  it('aborts the read in flight when the signal aborts', async () => {
    const { source, signals } = silentSource();
    const controller = new AbortController();
    const waiting = waitForResult(source, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it('cancels the task on abort with cancelOnAbort, even before the first reading', async () => {
    const { source, counts } = promiseSource([reading.running()]);
    const controller = new AbortController();
    const waiting = waitForResult(source, { signal: controller.signal, cancelOnAbort: true });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(counts.cancels).toBe(1);
  });

  it('rejects at once without reading when the signal is already aborted', async () => {
    const { source, counts } = promiseSource([reading.running()]);
    await expect(waitForResult(source, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(counts.reads).toBe(0);
  });

  it('ends with the error onProgress throws, and stops polling', async () => {
    const { source, counts } = promiseSource([reading.running()]);
    const bug = new Error('render failed');
    await expect(
      waitForResult(source, {
        strategy: withInterval(0),
        onProgress: () => {
          throw bug;
        },
      }),
    ).rejects.toBe(bug);
    expect(counts.reads).toBe(1);
  });

  it.each([
    [{ timeoutMs: -1 }, 'waitForResult: option "timeoutMs" must be a number of at least 0 (or Infinity), but was -1.'],
    [{ signal: {} }, 'waitForResult: option "signal" must be an AbortSignal (from an AbortController), but was [object Object].'],
    [{ cancelOnAbort: 'yes' }, 'waitForResult: option "cancelOnAbort" must be true or false, but was yes.'],
    [{ onProgress: 1 }, 'waitForResult: option "onProgress" must be a function, but was 1.'],
    [{ timeout: 5 }, 'waitForResult: unknown option "timeout"; the options are strategy, timeoutMs, signal, cancelOnAbort, onProgress.'],
  ])('rejects with a TypeError for %p', async (options, message) => {
    const { source, counts } = promiseSource([reading.running()]);
    await expect(waitForResult(source, options as never)).rejects.toThrow(new TypeError(message));
    expect(counts.reads).toBe(0);
  });
});
