import { clip, URL_CHARS } from './excerpt.js';

/**
 * `url` without userinfo, query and fragment, safe to show in messages and logs and to keep in errors: a query
 * may carry a signature or a token (`?access_token=`, a signed URL), userinfo a password.
 */
export function withoutCredentials(url: string): string {
  const bare = withoutUserinfo(url);
  try {
    const parsed = new URL(bare);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    // Not an absolute URL: drop anything that may be userinfo, and the query, rather than keep a secret.
    return withoutQuery(bare);
  }
}

/**
 * Whether `url` holds what was meant as `user:password@` although the URL parser reads it as a host with an
 * empty port followed by a path, query or fragment: `https://user:/pw@host`, `https://user:#pw@host`. Sent,
 * such a URL would carry the password in its path to the host "user".
 */
export function hidesUserinfo(url: string): boolean {
  return /^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?[/\\]{2}[^/?#\\@]*:[/?#\\][^]*@/.test(url);
}

/**
 * `url` without the userinfo it may hold, as written. A password written unencoded may hold "/", "?", "#" or
 * "@", and then the URL parser either cannot read the URL or reads a host and an empty port where a user and
 * password were meant (`https://user:/pw@host`): such text loses everything from its `//` (or its start) to its
 * last "@". A URL the parser reads with userinfo loses what the parser reads as userinfo.
 */
export function withoutUserinfo(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined && !hidesUserinfo(url)) return url.replace(/^([^:/?#]+:)?\/\/[^/?#\\]*@/, '$1//');
  const head = /^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?(?:[/\\]{2})?/.exec(url)![0];
  return head + url.slice(at + 1);
}

/**
 * `url` as given, up to its query or fragment, and without userinfo: the default id of a task at `url`. The
 * rest is kept as written, not normalised, so an id stays the URL its user gave.
 */
export function withoutQuery(url: string): string {
  const bare = withoutUserinfo(url);
  const end = bare.search(/[?#]/);
  const kept = end < 0 ? bare : bare.slice(0, end);
  let parsed: URL | undefined;
  try {
    parsed = new URL(kept);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  }
  return parsed === undefined ? kept.replace(/\/\/[^/]*@/, '//') : kept;
}

/**
 * A URL the user gave, quoted for a message that refuses it: without userinfo, query and fragment (whether
 * or not it parses), clipped to the longest real URL, in JSON quotes; anything else named by its type.
 */
export function quotedUrl(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'undefined' : value === null ? 'null' : `a ${typeof value}`;
  return JSON.stringify(clip(withoutCredentials(value), URL_CHARS));
}
