import { show } from '../util/options.js';
import { quotedUrl } from '../util/urls.js';
import type { HeadersOption } from './transport.js';

/** Throws a TypeError unless `value` is a non-empty string id; returns it. */
export function checkId(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${fn}: option "${name}" must be a non-empty string, but was ${show(value)}.`);
  }
  return value;
}

/** Throws a TypeError unless `value` is an absolute http(s) URL; returns it without trailing slashes. */
export function checkBaseUrl(fn: string, name: string, value: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new TypeError(`${fn}: option "${name}" must be an absolute http(s) URL such as "https://api.example.com", but was ${quotedUrl(value)}.`);
  }
  return (value as string).replace(/\/+$/, '');
}

/** `base` followed by the path segments, each URL-encoded. */
export function joinUrl(base: string, ...segments: string[]): string {
  return `${base}/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`;
}

/** `headers` with one more header, keeping the function form (token refresh) when that was given. */
export function withHeader(headers: HeadersOption | undefined, name: string, value: string): HeadersOption {
  if (typeof headers === 'function') {
    return async () => ({ ...(await headers()), [name]: value });
  }
  return { ...headers, [name]: value };
}

/** The options of `options` other than the given builder-only ones, for passing on to httpTask. */
export function without<T extends object, K extends string>(options: T, ...keys: K[]): Omit<T, K> {
  const rest = { ...options } as Record<string, unknown>;
  for (const key of keys) delete rest[key];
  return rest as Omit<T, K>;
}
