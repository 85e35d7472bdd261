import type { TaskFailure, TaskReading } from '../../lib/index.js';

/** Readings as a source would map them, one builder per status. */
export const reading = {
  pending: (extra: Partial<TaskReading<never>> = {}): TaskReading<never> => ({
    runStatus: 'pending',
    vendorStatus: 'QUEUED',
    raw: { state: 'QUEUED' },
    ...extra,
  }),
  running: (progress?: number, extra: Partial<TaskReading<never>> = {}): TaskReading<never> => ({
    runStatus: 'running',
    vendorStatus: 'RUNNING',
    ...(progress === undefined ? {} : { progress }),
    raw: { state: 'RUNNING', progress },
    ...extra,
  }),
  suspended: (): TaskReading<never> => ({ runStatus: 'suspended', vendorStatus: 'SUSPENDED', raw: { state: 'SUSPENDED' } }),
  canceling: (): TaskReading<never> => ({ runStatus: 'canceling', vendorStatus: 'INTERRUPTING', raw: { state: 'INTERRUPTING' } }),
  succeeded: <R>(result?: R, extra: Partial<TaskReading<R>> = {}): TaskReading<R> => ({
    runStatus: 'succeeded',
    vendorStatus: 'DONE',
    ...(result === undefined ? {} : { result }),
    raw: { state: 'DONE', result },
    ...extra,
  }),
  failed: (failure?: TaskFailure): TaskReading<never> => ({
    runStatus: 'failed',
    vendorStatus: 'FAILED',
    ...(failure === undefined ? {} : { failure }),
    raw: { state: 'FAILED', failure },
  }),
  canceled: (): TaskReading<never> => ({ runStatus: 'canceled', vendorStatus: 'CANCELED', raw: { state: 'CANCELED' } }),
};
