import * as t from 'io-ts';
import { defineDialect, statusFrom, type Dialect } from '../http/dialect.js';
import { isRunStatus, type RunStatus, type TaskFailure } from '../snapshot.js';
import { excerpt } from '../util/excerpt.js';
import { UsageError } from './args.js';

/** How the `json` dialect reads an API it does not know: where the status, progress, result and failure message are. */
export interface JsonDialectOptions {
  readonly statusPath: string;
  readonly statusMap: string;
  readonly progressPath?: string;
  /** What progress counts up to: 100 for percentages, 1 for fractions. */
  readonly progressScale: number;
  readonly resultPath?: string;
  /**
   * Where a failed task's message is, in the failed answer. A string is taken as it is, a number or a boolean as
   * its text, anything else (an object, an array, null) as a short JSON preview; nothing there, no message.
   */
  readonly messagePath?: string;
}

/** The value at a dotted path (`job.state`), looking only at own properties, or undefined. */
function valueAt(body: unknown, path: string): unknown {
  let value = body;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The failure of a failed answer, with the message at `path` when there is one there. */
function failureAt(body: unknown, path: string): TaskFailure {
  const message = valueAt(body, path);
  if (message === undefined) return {};
  if (typeof message === 'string') return { message };
  if (typeof message === 'number' || typeof message === 'boolean') return { message: String(message) };
  return { message: excerpt(message) };
}

/** Parses `WORKING=running,DONE=succeeded,BROKEN=failed`. */
function parseStatusMap(text: string): Record<string, RunStatus> {
  const map: Record<string, RunStatus> = {};
  for (const pair of text.split(',')) {
    const [word, status] = pair.split('=').map((part) => part.trim());
    if (!word || !status || !isRunStatus(status)) {
      throw new UsageError(
        `--status-map takes WORD=runStatus pairs separated by commas, each runStatus one of pending, running, suspended, canceling, succeeded, failed, canceled; ${JSON.stringify(pair)} is not one.`,
      );
    }
    map[word] = status;
  }
  return map;
}

/** A dialect for any JSON task API, from dotted paths and a status map. */
export function jsonDialect(options: JsonDialectOptions): Dialect<unknown> {
  const map = parseStatusMap(options.statusMap);
  return defineDialect({
    name: 'the task API',
    status: t.unknown,
    toReading: (body) => {
      const word = valueAt(body, options.statusPath);
      const vendorStatus = typeof word === 'string' || typeof word === 'number' ? String(word) : JSON.stringify(word) ?? 'nothing';
      const progress = options.progressPath === undefined ? undefined : valueAt(body, options.progressPath);
      const runStatus = statusFrom(map, vendorStatus);
      return {
        runStatus,
        vendorStatus,
        ...(typeof progress === 'number' ? { progress: progress / options.progressScale } : {}),
        ...(runStatus === 'succeeded' && options.resultPath !== undefined ? { result: valueAt(body, options.resultPath) } : {}),
        ...(runStatus === 'succeeded' && options.resultPath === undefined ? { result: body } : {}),
        ...(runStatus === 'failed' && options.messagePath !== undefined ? { failure: failureAt(body, options.messagePath) } : {}),
      };
    },
  });
}
