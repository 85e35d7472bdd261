/** A command line that cannot be run as given; the message says what was wrong. Exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `2s`, `1.5s`, `10m` or `1h` into milliseconds. */
export function parseDuration(text: string, option: string, usage: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`${option} takes a duration such as 500ms, 2s or 10m, not ${JSON.stringify(text)}.`, usage);
  }
  const ms = Number(match[1]) * units[match[2]!]!;
  // Any length a wait can have is taken (timers are chained past 24.8 days); beyond it, a typo is likelier.
  if (ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${option} ${text.trim()} is longer than the longest wait, ${Number.MAX_SAFE_INTEGER} ms (about 285,000 years).`, usage);
  }
  return ms;
}

/** Parses `--backoff 1s..30s` into the first and the longest delay. */
export function parseBackoff(text: string, usage: string): { initialDelayMs: number; maxDelayMs: number } {
  const parts = text.split('..');
  if (parts.length !== 2) throw new UsageError(`--backoff takes a range such as 1s..30s (first delay..longest delay), not ${JSON.stringify(text)}.`, usage);
  const initialDelayMs = parseDuration(parts[0]!, '--backoff', usage);
  const maxDelayMs = parseDuration(parts[1]!, '--backoff', usage);
  if (maxDelayMs < initialDelayMs) throw new UsageError(`--backoff ${text}: the longest delay must not be shorter than the first.`, usage);
  return { initialDelayMs, maxDelayMs };
}

/**
 * The request headers: `--header 'Name: value'` options, then `POLL_TASK_HEADER_<NAME>` variables (underscores
 * become dashes: POLL_TASK_HEADER_X_API_KEY is x-api-key), which keep tokens out of shell history.
 */
export function parseHeaders(given: readonly string[], env: Readonly<Record<string, string | undefined>>, usage: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of given) {
    const colon = header.indexOf(':');
    const name = colon < 0 ? '' : header.slice(0, colon).trim();
    if (name === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      // The value may be a secret: name only what was wrong with the header's shape.
      throw new UsageError(`--header takes 'Name: value' (a header name, a colon, the value); one of them has ${colon < 0 ? 'no colon' : 'no valid name'}.`, usage);
    }
    headers[name.toLowerCase()] = header.slice(colon + 1).trim();
  }
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('POLL_TASK_HEADER_') || value === undefined || key.length === 'POLL_TASK_HEADER_'.length) continue;
    const name = key.slice('POLL_TASK_HEADER_'.length).toLowerCase().replace(/_/g, '-');
    headers[name] ??= value;
  }
  return headers;
}

/** Milliseconds as a short human text: 850ms, 12.3s, 4m05s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
