import { UnsafeUrlError } from '../errors.js';

/** The origin (`scheme://host:port`) of `url`, normalised by the URL parser. */
export function originOf(url: URL): string {
  return url.origin;
}

/**
 * Parses `url` (relative URLs against `base`) and refuses, with {@link UnsafeUrlError}, anything a request
 * must not go to: userinfo, a scheme other than http: or https:, or an origin outside `allowed`.
 */
export function checkUrl(url: string, allowed: ReadonlySet<string>, base?: string, taskId?: string): URL {
  let parsed: URL;
  try {
    parsed = base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    throw new UnsafeUrlError(url, 'it is not a valid absolute URL; give the full https:// URL of the task.', taskId === undefined ? {} : { taskId });
  }
  const options = taskId === undefined ? {} : { taskId };
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UnsafeUrlError(parsed.href, `only http: and https: URLs are requested, not ${parsed.protocol}`, options);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UnsafeUrlError(parsed.href, 'the URL carries credentials (user:password@); pass them as headers instead.', options);
  }
  if (!allowed.has(parsed.origin)) {
    throw new UnsafeUrlError(
      parsed.href,
      `its origin ${parsed.origin} is not among the allowed origins (${[...allowed].join(', ')}); credentials are sent only there. Add it to allowedOrigins if it is yours.`,
      options,
    );
  }
  parsed.hash = '';
  return parsed;
}

/** Normalises the allowed origins given by a user (full origins or URLs), refusing ones that are not URLs. */
export function allowedOriginsOf(fn: string, given: readonly string[] | undefined, first: string): ReadonlySet<string> {
  if (given === undefined) {
    try {
      return new Set([new URL(first).origin]);
    } catch {
      throw new UnsafeUrlError(first, 'it is not a valid absolute URL; give the full https:// URL of the task.');
    }
  }
  if (!Array.isArray(given) || given.length === 0) {
    throw new TypeError(`${fn}: option "allowedOrigins" must be a non-empty array of origins such as "https://api.example.com".`);
  }
  return new Set(
    given.map((origin) => {
      try {
        return new URL(origin).origin;
      } catch {
        throw new TypeError(`${fn}: allowed origin ${JSON.stringify(origin)} is not a URL; write it like "https://api.example.com".`);
      }
    }),
  );
}
