/** `url` without userinfo and fragment, safe to show in messages and logs. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    // Not an absolute URL: drop anything that looks like userinfo rather than keep a secret.
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
