import type { SchedulerLike } from 'rxjs';
import { DecodeError, TransportError, UnsafeUrlError, isPollTaskError } from '../errors.js';
import { defaultScheduler, scheduleAfter, wallClock } from '../core/clock.js';
import { requestDeadline } from './request-deadline.js';
import { excerpt } from '../util/excerpt.js';
import { headerFault, mayHoldSecret, redactError, redactJson, redactText, redactUrl, secretsOf, type SentSecrets } from '../util/redact.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../util/json-depth.js';
import type { RequestAbort } from '../util/abortable.js';
import type { FetchKind } from './fetch-kind.js';
import { checkUrl } from './url-guard.js';

/** A `fetch` function: the platform's, cross-fetch's, or one that signs requests (SigV4). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** Headers for every request: an object, or a function (sync or async) called before each request, for tokens that expire. */
export type HeadersOption =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | PromiseLike<Readonly<Record<string, string>>>);

/** What one source's requests share. */
export interface Transport {
  readonly fetch: Fetch;
  readonly headers: HeadersOption | undefined;
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly allowed: ReadonlySet<string>;
  /** The headers of every request when `headers` is an object, worked out once. */
  readonly fixed: SentHeaders;
  /** The secrets of every request sent with other headers (a headers function's), kept after they change. */
  readonly remembered: SentSecrets;
  readonly taskId: string;
  /** The service's name, for messages ("Benchling"). */
  readonly service: string;
  /** How requests sent with `fetch` make their abort signals and read response headers (see fetchKindOf). */
  readonly kind: FetchKind;
}

/** Reads a response header by name, case-insensitively. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A successful answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: HeaderReader;
  /** The URL that answered (after redirects within the allowed origins). */
  readonly url: string;
  /** The parsed JSON body, or undefined for an empty one. */
  readonly body: unknown;
  /** The server's Retry-After (or retry-after-ms) hint, in milliseconds. */
  readonly retryAfterMs?: number;
}

/** One request. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  /** `url` is the source's status URL, checked against the allowed origins when the source was made. */
  readonly checked?: boolean | undefined;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the request: nobody waits for its answer any more. */
  readonly signal: AbortSignal;
  /**
   * The controller of `signal` when it serves this request alone: the request timeout then aborts it
   * directly. Without it, each request links a controller of its own to `signal` (one more signal, and a
   * listener added and removed).
   */
  readonly controller?: RequestAbort | undefined;
  /** What a 404 means here, said in the error message (e.g. "the task data expired"); worked out only then. */
  readonly notFound: string | (() => string);
  /** The clock of the wait that sends this request (see clockOfWait): the request timeout is timed by it. */
  readonly clock?: SchedulerLike | undefined;
}

const retryableStatuses = new Set([408, 429, 500, 502, 503, 504]);
const maxRedirects = 5;

/** `url` reduced to its origin and path: queries may carry signatures or keys, so they are never shown. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return '(an invalid URL)';
  }
}

/** The server's hint for when to ask again, in milliseconds: `retry-after-ms`, or `Retry-After` (seconds or HTTP date). */
function retryAfterOf(response: Response, kind: FetchKind): number | undefined {
  const ms = kind.header(response, 'retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number(ms) >= 0) return Number(ms);
  const value = kind.header(response, 'retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - wallClock());
}

/**
 * The headers to send, with the secrets among them, from a function (called now, its answer checked) or fixed
 * ones. A header the function gives that cannot be sent is a non-retryable {@link TransportError} that names
 * it: asking again would send the same.
 */
async function headersFor(transport: Transport, request: HttpRequest, url: string): Promise<SentHeaders> {
  let given = transport.headers;
  if (typeof given === 'function') {
    const returned: unknown = await given();
    let fault: string | undefined;
    if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) {
      fault = `returned ${returned === null || returned === undefined ? String(returned) : Array.isArray(returned) ? 'an array' : `a ${typeof returned}`}, not an object of header values`;
    } else {
      for (const [name, value] of Object.entries(returned)) {
        fault = headerFault(name, value);
        if (fault !== undefined) break;
      }
    }
    if (fault !== undefined) {
      throw new TransportError(`The headers function of this source ${fault}; nothing was sent to ${safeUrl(url)}: fix what the function returns.`, {
        url,
        retryable: false,
        taskId: transport.taskId,
      });
    }
    given = returned as Readonly<Record<string, string>>;
  }
  const sent = headersToSend(given, request.headers);
  return { sent, secrets: transport.remembered.remember(sent) };
}

/** Headers as sent, and the secrets among them (see {@link secretsOf}). */
export interface SentHeaders {
  readonly sent: Record<string, string>;
  readonly secrets: readonly string[];
}

/** The headers sent for `given` (and `extra`), with the secrets among them. */
export function sentHeaders(given: Readonly<Record<string, string>> | undefined, extra?: Readonly<Record<string, string>>): SentHeaders {
  const sent = headersToSend(given, extra);
  return { sent, secrets: secretsOf(sent) };
}

/** The headers a request sends: JSON accepted, then `given`, then the request's own `extra`. */
function headersToSend(given: Readonly<Record<string, string>> | undefined, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return { accept: 'application/json', ...given, ...extra };
}

/** A short excerpt of `value` for a message, with no secret in it, not even cut in half by the excerpt. */
function shown(value: unknown, secrets: readonly string[]): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return excerpt(redactText(redactText(text, secrets).replace(/\s+/g, ' '), secrets));
}

/** How much of a text is looked at to quote it without its strings: a quote is clipped far shorter anyway. */
const maxStrippedChars = 4096;

/**
 * The start of JSON text with its string literals emptied: for a body too deep to parse safely, whose strings
 * may hide a secret behind escapes. A literal cut short by the clip is emptied too.
 */
function withoutStrings(text: string): string {
  return text
    .slice(0, maxStrippedChars)
    .replace(/"[^"\\]*(?:\\[^]?[^"\\]*)*(?:"|$)/g, '""');
}

/**
 * The service's own words about an error, from the usual fields of a JSON error body; a JSON body without
 * them is quoted as parsed (with every secret replaced, also one the text hid behind escapes), not as sent.
 */
function serverSays(text: string, secrets: readonly string[]): string {
  if (text.trim() === '') return '';
  let said: unknown = text;
  try {
    // Too deep to pick fields from safely: the text is quoted without its strings.
    if (nestedDeeperThan(text)) return ` (the service said: "${shown(withoutStrings(text), secrets)}")`;
    const body = parseJson(text, secrets);
    said = body;
    if (typeof body === 'object' && body !== null) {
      const fields = body as Record<string, unknown>;
      said = fields.message ?? fields.detail ?? fields.title ?? fields.error_description ?? fields.error ?? body;
      if (typeof said === 'object' && said !== null) said = (said as Record<string, unknown>).message ?? said;
    }
  } catch {
    // Not JSON: show the text itself.
  }
  return ` (the service said: "${shown(said, secrets)}")`;
}

function statusMessage(transport: Transport, request: HttpRequest, status: number, text: string, secrets: readonly string[]): string {
  const where = `${request.method} ${safeUrl(request.url)} answered ${status}`;
  const said = serverSays(text, secrets);
  // A transient status states only what happened: whether it is asked again is the deciding code's to say.
  if (retryableStatuses.has(status)) return `${where}${said}: ${transport.service} is busy or unavailable.`;
  if (status === 401) return `${where}${said}: check the credentials (headers) given to this source for ${transport.service}; they are missing, wrong or expired.`;
  if (status === 403) return `${where}${said}: the credentials are valid but may not read this task; check the token's permissions or scopes.`;
  if (status === 404) return `${where}${said}: ${typeof request.notFound === 'string' ? request.notFound : request.notFound()}`;
  return `${where}${said}: the service refused the request; check the ids and options of this source.`;
}

/**
 * The body as text, at most `max` bytes. Not async: a body read whole hands over fetch's own Promise, one
 * Promise less per request.
 */
function readText(response: Response, kind: FetchKind, max: number, url: string, taskId: string): Promise<string> {
  const length = kind.header(response, 'content-length');
  const declared = length === null || length.trim() === '' ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(url, taskId, max, `${declared} bytes declared`);
  const body = response.body as unknown;
  if (body !== null && typeof body === 'object' && typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
    return readChunks(body as ReadableStream<Uint8Array>, max, url, taskId);
  }
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    // node-fetch (cross-fetch on Node) hands over a Node stream. An uncompressed body of a declared length
    // within the limit is that long (the HTTP parser sees to it): read it whole, which costs less than
    // iterating the stream. Anything else is counted as it comes; leaving the loop early destroys the stream.
    if (Number.isFinite(declared) && kind.header(response, 'content-encoding') === null) return response.text();
    return readChunks(body as AsyncIterable<Uint8Array | string>, max, url, taskId);
  }
  return response.text().then((text) => {
    if (new TextEncoder().encode(text).byteLength > max) throw tooLarge(url, taskId, max, `more than ${max} bytes`);
    return text;
  });
}

function tooLarge(url: string, taskId: string, max: number, size: string): DecodeError {
  return new DecodeError(
    `The answer of ${safeUrl(url)} is larger than maxBodyBytes (${size}, limit ${max} bytes); raise maxBodyBytes if the service really sends that much.`,
    [`body larger than ${max} bytes`],
    { taskId },
  );
}

/** Reads a body chunk by chunk, counting its bytes; more than `max` stops the read (and cancels the stream). */
async function readChunks(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>,
  max: number,
  url: string,
  taskId: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  const take = (chunk: Uint8Array | string): void => {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > max) throw tooLarge(url, taskId, max, `more than ${max} bytes`);
    text += decoder.decode(bytes, { stream: true });
  };
  if ('getReader' in body) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        take(value);
      }
    } catch (error) {
      reader.cancel().catch(() => undefined);
      throw error;
    }
  } else {
    for await (const chunk of body) take(chunk);
  }
  return text + decoder.decode();
}

/** `text` parsed as JSON, every secret in it replaced; throws JSON.parse's SyntaxError for text that is not JSON. */
function parseJson(text: string, secrets: readonly string[]): unknown {
  return withoutSecrets(JSON.parse(text) as unknown, text, secrets);
}

/** `parsed`, the JSON of `text`, with every secret in it replaced. */
function withoutSecrets(parsed: unknown, text: string, secrets: readonly string[]): unknown {
  // Most answers hold no secret and no escape: they are handed on as parsed, with no walk over them.
  return mayHoldSecret(text, secrets) ? redactJson(parsed, secrets) : parsed;
}

function bodyOf(text: string, url: string, taskId: string, secrets: readonly string[]): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new DecodeError(
      `The answer of ${safeUrl(url)} is not JSON: ${shown(text, secrets)}; a proxy or login page may stand in front of the service.`,
      ['body is not JSON'],
      { taskId },
    );
  }
  if (nestedDeeperThan(text)) {
    throw new DecodeError(
      `The answer of ${safeUrl(url)} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels, more than poll-task reads: ${shown(withoutStrings(text), secrets)} (strings left out); a task API never nests that deep, so check what the service (or a proxy in front of it) sends.`,
      [`body nested deeper than ${MAX_JSON_DEPTH} levels`],
      { taskId },
    );
  }
  // Parsed first, to tell a body that is not JSON from one too deep; walked only once known not too deep.
  return withoutSecrets(body, text, secrets);
}

/**
 * Sends one request within the allowed origins, with the source's headers and a timeout, follows redirects
 * that stay within the allowed origins, reads at most `maxBodyBytes`, and turns every failure into a
 * {@link TransportError} (retryable or not), a {@link DecodeError} or an {@link UnsafeUrlError}.
 */
export async function send(transport: Transport, request: HttpRequest): Promise<HttpAnswer> {
  const { taskId } = transport;
  let url = request.checked === true ? request.url : checkUrl(request.url, transport.allowed, undefined, taskId).href;
  const given = typeof transport.headers === 'function' || request.headers !== undefined ? await headersFor(transport, request, url) : undefined;
  // Fixed headers need no await: one microtask less per request.
  const sent = given === undefined ? { ...transport.fixed.sent } : given.sent;
  const secrets = given === undefined ? transport.fixed.secrets : given.secrets;
  let method = request.method;
  let payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (payload !== undefined) sent['content-type'] = 'application/json';
  // The URL as errors show and keep it: a redirect's target may hold what the service was sent.
  let shownUrl = shownUrlOf(url, secrets);

  for (let redirects = 0; ; redirects++) {
    const own = request.controller;
    const controller = own ?? transport.kind.newAbort();
    let timedOut = false;
    const stop = own === undefined ? (): void => controller.abort() : undefined;
    if (stop !== undefined) {
      request.signal.addEventListener('abort', stop, { once: true });
      if (request.signal.aborted) controller.abort();
    }
    const deadline = requestDeadline(request.clock, transport.requestTimeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
    try {
      let response: Response;
      try {
        // Assigned, not spread in: a conditional spread costs a copy per request.
        const init: RequestInit = { method, headers: sent, signal: controller.signal, redirect: 'manual' };
        if (payload !== undefined) init.body = payload;
        response = await transport.fetch(url, init);
      } catch (error) {
        throw networkError(transport, method, shownUrl, error, timedOut, request.signal, secrets);
      }

      const redirected = response.status >= 300 && response.status < 400;
      const location = redirected ? response.headers.get('location') : null;
      if (redirected && location !== null) {
        if (redirects >= maxRedirects) {
          throw new TransportError(`${method} ${safeUrl(shownUrl)} redirected more than ${maxRedirects} times; check the URL.`, { url: shownUrl, status: response.status, retryable: false, taskId });
        }
        // The next hop is checked like the first: a redirect never takes credentials to another origin.
        url = checkRedirect(location, transport, url, secrets);
        shownUrl = shownUrlOf(url, secrets);
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          payload = undefined;
          delete sent['content-type'];
        }
        continue;
      }
      if (response.type === 'opaqueredirect' || redirected) {
        throw new TransportError(
          `${method} ${safeUrl(shownUrl)} answered with a redirect whose target cannot be checked; give the final URL of the task instead.`,
          { url: shownUrl, status: response.status, retryable: false, taskId },
        );
      }

      // The text as it came: every secret in it is replaced on the way to a message or to the parsed body.
      let text: string;
      try {
        text = await readText(response, transport.kind, transport.maxBodyBytes, shownUrl, taskId);
      } catch (error) {
        const failure = isPollTaskError(error)
          ? error
          : undecodable(error)
            ? new DecodeError(
                `The answer of ${shownUrl} says content-encoding ${excerpt(encodingOf(response, transport))}, but its body is not such data (${zlibDataError}); the service or a proxy in front of it sends a body that does not match its headers, and asking again will not change that.`,
                [`body is not valid ${excerpt(encodingOf(response, transport))} data`],
                { taskId },
              )
            : networkError(transport, method, shownUrl, error, timedOut, request.signal, secrets, 'while reading the answer');
        // The rest of the answer is not wanted (one past maxBodyBytes may never end): close its connection.
        // Leaving the body's stream is not enough for node-fetch, which keeps the socket open under it.
        controller.abort();
        throw failure;
      }
      const retryAfterMs = retryAfterOf(response, transport.kind);
      if (response.status < 200 || response.status >= 300) {
        throw new TransportError(redactText(statusMessage(transport, { ...request, method, url: shownUrl }, response.status, text, secrets), secrets), {
          url: shownUrl,
          status: response.status,
          retryable: retryableStatuses.has(response.status),
          taskId,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }
      const answer: { -readonly [K in keyof HttpAnswer]: HttpAnswer[K] } = { status: response.status, headers: response.headers, url, body: bodyOf(text, shownUrl, taskId, secrets) };
      if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
      return answer;
    } finally {
      deadline.cancel();
      if (stop !== undefined) request.signal.removeEventListener('abort', stop);
    }
  }
}

/** `url` as errors show it: with every secret in it replaced (see redactUrl), or as it is when it cannot hold one. */
function shownUrlOf(url: string, secrets: readonly string[]): string {
  return mayHoldSecret(url, secrets) ? redactUrl(url, secrets) : url;
}

/**
 * The next hop of a redirect, checked like the first. A refused target that holds a secret (a service may
 * put what it was sent into a Location) is refused by the same check with every secret replaced, so the
 * {@link UnsafeUrlError} shows none.
 */
function checkRedirect(location: string, transport: Transport, from: string, secrets: readonly string[]): string {
  try {
    return checkUrl(location, transport.allowed, from, transport.taskId).href;
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    let target: string;
    try {
      target = new URL(location, from).href;
    } catch {
      target = location;
    }
    const shown = redactText(target, secrets) === target ? target : redactUrl(target, secrets);
    if (shown === target) throw error;
    checkUrl(shown, transport.allowed, from, transport.taskId);
    throw new UnsafeUrlError(shown, 'it is where the service redirected to, and it holds a value this source sent as a header; check the service.', { taskId: transport.taskId });
  }
}

/** The code zlib gives data that is not of the compression it was said to be (not a body cut short). */
const zlibDataError = 'Z_DATA_ERROR';

/** Whether reading a body failed because it is not valid compressed data: the error's code, or its cause's. */
function undecodable(error: unknown): boolean {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
  return code === zlibDataError || cause?.code === zlibDataError;
}

/** The content-encoding an answer says it has. */
function encodingOf(response: Response, transport: Transport): string {
  return transport.kind.header(response, 'content-encoding') ?? 'compressed';
}

function networkError(
  transport: Transport,
  method: string,
  url: string,
  error: unknown,
  timedOut: boolean,
  signal: AbortSignal,
  secrets: readonly string[],
  when = '',
): unknown {
  // First the timeout: it may have aborted `signal` itself (a request's own controller).
  if (timedOut) {
    return new TransportError(
      `${method} ${safeUrl(url)} did not answer within ${transport.requestTimeoutMs} ms (requestTimeoutMs)${when === '' ? '' : ` ${when}`}.`,
      { url, retryable: true, cause: redactError(error, secrets), taskId: transport.taskId },
    );
  }
  // Nobody waits for this answer any more: whatever we throw is dropped, so keep the original.
  if (signal.aborted) return error;
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  // A fetch may quote what it was given (a header value) in its message: neither the message nor the
  // `cause` kept keeps a secret.
  return new TransportError(
    redactText(`${method} ${safeUrl(url)} failed${when === '' ? '' : ` ${when}`} (${reason}); the network or ${transport.service} may be down.`, secrets),
    { url, retryable: true, cause: redactError(error, secrets), taskId: transport.taskId },
  );
}

/** Waits `ms` (however long) on `clock`, or rejects when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal, clock: SchedulerLike = defaultScheduler): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const timer = scheduleAfter(clock, done, ms);
    const aborted = (): void => {
      timer.unsubscribe();
      reject(signal.reason);
    };
    if (signal.aborted) aborted();
    else signal.addEventListener('abort', aborted, { once: true });
  });
}
