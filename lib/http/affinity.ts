import { quotedUrl } from '../util/urls.js';
import * as t from 'io-ts';
import type { TaskSource } from '../task-source.js';
import { withBackoff } from '../strategies/with-backoff.js';
import { defineDialect, statusFrom } from './dialect.js';
import { createHttpTask, httpSourceOptionKeys, type HttpSourceOptions } from './http-task.js';
import { checkOptions, optionNamesOf } from '../util/options.js';
import { checkBaseUrl, without } from './paths.js';

/** Affinity's `MergeTask`, as a merge task URL answers. */
const MergeTask = t.intersection(
  [
    t.type({ status: t.string }),
    t.partial({
      id: t.union([t.string, t.number]),
      resultsSummary: t.union([t.partial({ total: t.number, success: t.number, failed: t.number, inProgress: t.number }), t.null]),
    }),
  ],
  'AffinityMergeTask',
);

const statuses = { pending: 'pending', 'in-progress': 'running', in_progress: 'running', success: 'succeeded', failed: 'failed' } as const;

/**
 * Affinity's merge tasks: `pending`, `in-progress` (or the older `in_progress`), `success` (the result is the
 * final `MergeTask` itself), `failed` (the task dump becomes the failure's details). Progress is
 * `(success + failed) / total` from `resultsSummary`. No cancel. Any other word ends the wait with
 * {@link UnknownStatusError} (the SDK would poll until its timeout).
 *
 * Default waiting, as the SDK's `tasks.wait`: 2 s growing ×1.5 up to 30 s, plus 0–10 % jitter, giving up
 * after 300 s.
 */
export const affinity = defineDialect({
  name: 'Affinity',
  status: MergeTask,
  toReading: (body) => {
    const summary = body.resultsSummary ?? undefined;
    const total = summary?.total ?? 0;
    return {
      runStatus: statusFrom(statuses, body.status),
      vendorStatus: body.status,
      ...(summary !== undefined && total > 0 ? { progress: ((summary.success ?? 0) + (summary.failed ?? 0)) / total } : {}),
      ...(body.status === 'success' ? { result: body } : {}),
      ...(body.status === 'failed' ? { failure: { message: 'Affinity reports the merge task failed', details: body } } : {}),
    };
  },
  defaultStrategy: withBackoff({ initialDelayMs: 2000, factor: 1.5, maxDelayMs: 30_000, jitter: { min: 0, max: 0.1 }, maxWaitMs: 300_000 }),
});

/** Options of {@link affinityTask}: the task URL as `url` or `taskUrl` (Affinity's own field name). */
export type AffinityTaskOptions<R> = HttpSourceOptions<R> & {
  /**
   * Affinity's API base: relative task URLs are resolved against it, and by default only its origin is
   * requested (as the SDK's safe URL following does).
   * @default "https://api.affinity.co/v2/"
   */
  readonly baseUrl?: string;
} & ({ readonly url: string; readonly taskUrl?: undefined } | { readonly taskUrl: string; readonly url?: undefined });

const affinityTaskOptionNames = optionNamesOf<AffinityTaskOptions<unknown>>()({ baseUrl: true, url: true, taskUrl: true, ...httpSourceOptionKeys });

/**
 * The source of an Affinity merge task, from the `taskUrl` a merge answered with (absolute, or relative to
 * the v2 API). A URL with credentials, or on another host, port or scheme than the API, is refused with
 * {@link UnsafeUrlError}.
 *
 * @throws TypeError for a missing URL or a bad option; UnsafeUrlError for a URL outside the API.
 *
 * @example
 * const { taskUrl } = await mergeCompanies(primaryId, duplicateId);
 * const merged = await waitForResult(affinityTask({ taskUrl, headers: { authorization: `Bearer ${key}` } }));
 */
export function affinityTask<R = unknown>(options: AffinityTaskOptions<R>): TaskSource<R> {
  const fn = 'affinityTask';
  if (options === undefined) throw new TypeError(`${fn}: options are required.`);
  checkOptions(fn, options, affinityTaskOptionNames);
  const given = options?.url ?? options?.taskUrl;
  if (typeof given !== 'string' || given === '') {
    throw new TypeError(`${fn}: give the merge task's URL as "url" or "taskUrl" (the taskUrl Affinity answered with).`);
  }
  const base = `${checkBaseUrl(fn, 'baseUrl', options.baseUrl ?? 'https://api.affinity.co/v2/')}/`;
  let absolute: URL;
  try {
    absolute = new URL(given, base);
  } catch {
    throw new TypeError(`${fn}: the task URL ${quotedUrl(given)} is not a URL.`);
  }
  absolute.hash = '';
  return createHttpTask(fn, {
    ...without(options, 'baseUrl', 'url', 'taskUrl'),
    url: absolute.href,
    allowedOrigins: options.allowedOrigins ?? [new URL(base).origin],
    dialect: affinity,
  });
}
