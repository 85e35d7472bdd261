import {
  AbortError,
  CancelUnsupportedError,
  DecodeError,
  PollingStoppedError,
  PollTaskError,
  SourceContractError,
  TaskCanceledError,
  TaskFailedError,
  TaskTimeoutError,
  TransportError,
  UnknownStatusError,
  isPollTaskError,
  type TaskSnapshot,
} from '../lib/index.js';

const snapshot: TaskSnapshot = {
  taskId: 'job-1',
  runStatus: 'failed',
  vendorStatus: 'FAILED',
  polls: 3,
  elapsedMs: 1200,
  raw: {},
};

describe('errors', () => {
  it.each([
    [new TaskFailedError(snapshot, { code: 'X' }), 'TaskFailedError', 'task-failed'],
    [new TaskCanceledError(snapshot), 'TaskCanceledError', 'task-canceled'],
    [new TaskTimeoutError(100, 101), 'TaskTimeoutError', 'timeout'],
    [new TransportError('503', { retryable: true }), 'TransportError', 'transport'],
    [new DecodeError('bad', ['a']), 'DecodeError', 'decode'],
    [new UnknownStatusError('FROZEN'), 'UnknownStatusError', 'unknown-status'],
    [new PollingStoppedError(undefined), 'PollingStoppedError', 'polling-stopped'],
    [new SourceContractError('bug'), 'SourceContractError', 'source-contract'],
    [new CancelUnsupportedError('job-1'), 'CancelUnsupportedError', 'cancel-unsupported'],
    [new AbortError('why'), 'AbortError', 'aborted'],
  ])('%s has its name and kind and is a PollTaskError', (error, name, kind) => {
    expect(error).toBeInstanceOf(PollTaskError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.kind).toBe(kind);
    expect(isPollTaskError(error)).toBe(true);
  });

  it('recognises errors from another copy of the library by their brand', () => {
    const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
    Object.defineProperty(foreign, Symbol.for('poll-task.PollTaskError'), { value: true });
    expect(isPollTaskError(foreign)).toBe(true);
    expect(isPollTaskError(new Error('x'))).toBe(false);
    expect(isPollTaskError(null)).toBe(false);
    expect(isPollTaskError('TransportError')).toBe(false);
  });

  it('keeps the cause', () => {
    const reset = new Error('ECONNRESET');
    expect(new TransportError('Network error.', { retryable: true, cause: reset }).cause).toBe(reset);
  });

  it('removes credentials, the query and the fragment from a TransportError url', () => {
    const error = new TransportError('401', { retryable: false, url: 'https://user:s3cret@api.example.com/tasks/1?x=1#frag', status: 401 });
    expect(error.url).toBe('https://api.example.com/tasks/1');
    expect(new TransportError('x', { retryable: false, url: '//user:pw@host/path?access_token=t0k3n#f' }).url).toBe('//host/path');
  });

  it('says when a failure came without a reason', () => {
    expect(new TaskFailedError(snapshot).message).toBe(
      'Task "job-1" failed on the service: the service gave no reason; see error.failure for the details, and start a new task once the cause is fixed.',
    );
  });
});
