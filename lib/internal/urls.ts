/**
 * `url` without userinfo, query and fragment, safe to show in messages and logs and to keep in errors: a query
 * may carry a signature or a token (`?access_token=`, a signed URL), userinfo a password.
 */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    // Not an absolute URL: drop anything that looks like userinfo or a query rather than keep a secret.
    return withoutQuery(url).replace(/\/\/[^/@]*@/, '//');
  }
}

/**
 * `url` as given, up to its query or fragment, and without userinfo: the default id of a task at `url`. The
 * rest is kept as written, not normalised, so an id stays the URL its user gave.
 */
export function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  const kept = end < 0 ? url : url.slice(0, end);
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
