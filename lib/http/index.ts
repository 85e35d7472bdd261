// The HTTP entry of poll-task (`poll-task/http`): task sources over fetch for five services and any JSON
// task API. Browser-safe: it imports nothing Node-only.

export { httpTask } from './http-task.js';
export type { HttpSourceOptions, HttpTaskOptions } from './http-task.js';
export { defineDialect, isDialect, statusFrom } from './dialect.js';
export type { CancelContext, CancelRequest, Dialect, DialectReading, DialectSpec, ResponseInfo } from './dialect.js';
export type { Fetch, HeaderReader, HeadersOption } from './transport.js';

export { benchling, benchlingTask } from './benchling.js';
export type { BenchlingTaskOptions } from './benchling.js';
export { affinity, affinityTask } from './affinity.js';
export type { AffinityTaskOptions } from './affinity.js';
export { evo, evoJob, submitEvoJob } from './evo.js';
export type { EvoJobOptions, EvoTaskIds, SubmitEvoJobOptions } from './evo.js';
export { deepint, deepintTask } from './deepint.js';
export type { DeepintTaskOptions } from './deepint.js';
export { deadline, deadlineTask } from './deadline.js';
export type { DeadlineTaskOptions } from './deadline.js';

export { UnsafeUrlError } from '../errors.js';
export { resumeTask$, resumedSource, serializeTask } from './resume.js';
export type { ResumeTaskOptions, SerializeTaskOptions, TaskCheckpoint } from './resume.js';
