import { UnsafeUrlError } from '../errors.js';
import { hidesUserinfo, quotedUrl, withoutUserinfo } from '../util/urls.js';

/**
 * Parses `url` (relative URLs against `base`) and refuses, with {@link UnsafeUrlError}, anything a request
 * must not go to: userinfo (also a password written unencoded, which the parser reads as a port and a path),
 * a scheme other than http: or https:, or an origin outside `allowed`.
 */
export function checkUrl(url: string, allowed: ReadonlySet<string>, base?: string, taskId?: string): URL {
  let parsed: URL;
  try {
    parsed = base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    throw new UnsafeUrlError(url, 'it is not a valid absolute URL; give the full https:// URL of the task.', taskId === undefined ? {} : { taskId });
  }
  const options = taskId === undefined ? {} : { taskId };
  // Shown resolved, and without what a user may have meant as a password even where the parser reads a host
  // and a path (`https://user:/pw@host`).
  const shown = (): string => {
    const bare = withoutUserinfo(url);
    try {
      return new URL(bare, base).href;
    } catch {
      return bare;
    }
  };
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UnsafeUrlError(shown(), `only http: and https: URLs are requested, not ${parsed.protocol}`, options);
  }
  if (parsed.username !== '' || parsed.password !== '' || hidesUserinfo(url)) {
    throw new UnsafeUrlError(shown(), 'the URL carries credentials (user:password@); pass them as headers instead.', options);
  }
  if (!allowed.has(parsed.origin)) {
    throw new UnsafeUrlError(
      shown(),
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
        throw new TypeError(`${fn}: allowed origin ${quotedUrl(origin)} is not a URL; write it like "https://api.example.com".`);
      }
    }),
  );
}
