import type { RequestAbort } from '../util/abortable.js';
import { reportLater } from '../util/report-later.js';
import { crossFetch, type CrossFetch } from './cross-fetch.js';
import type { Fetch } from './transport.js';

type AbortListener = ((event: AbortEvent) => void) | { handleEvent(event: AbortEvent): void };

interface AbortEvent {
  readonly type: 'abort';
  readonly target: unknown;
}

function abortError(): unknown {
  if (typeof DOMException === 'function') return new DOMException('This operation was aborted', 'AbortError');
  return Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
}

/**
 * An abort signal and its controller in one small object, handed only to cross-fetch's own fetch: node-fetch 2
 * on Node, an XMLHttpRequest ponyfill in browsers. Both take any object shaped like an AbortSignal (node-fetch
 * asks only that its class be named "AbortSignal") and use nothing of it but `aborted` and the 'abort'
 * listeners. A platform AbortController costs node-fetch about 20 µs more CPU per request (its EventTarget,
 * created and collected, plus the listener node-fetch adds and removes: see docs/benchmarks.md); this object
 * costs well under one. The platform's fetch gets a real AbortController: it accepts nothing else.
 */
class LightAbort implements RequestAbort {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((event: AbortEvent) => void) | null = null;
  private listeners: AbortListener[] | undefined = undefined;

  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  addEventListener(type: string, listener: AbortListener | null | undefined): void {
    if (type !== 'abort' || listener === null || listener === undefined) return;
    const listeners = (this.listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener | null | undefined): void {
    const listeners = this.listeners;
    if (type !== 'abort' || listeners === undefined) return;
    const at = listeners.indexOf(listener as AbortListener);
    if (at >= 0) listeners.splice(at, 1);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? abortError() : reason;
    const event: AbortEvent = { type: 'abort', target: this };
    // A copy: a listener may remove itself (node-fetch's does). As with an EventTarget, a throwing listener
    // neither stops the others nor throws into whoever aborted.
    for (const listener of [this.onabort, ...(this.listeners ?? [])]) {
      try {
        if (typeof listener === 'function') listener(event);
        else listener?.handleEvent(event);
      } catch (error) {
        reportLater(error);
      }
    }
  }
}
// node-fetch 2 checks the signal's class by name (so that polyfills pass): this one passes as they do.
Object.defineProperty(LightAbort, 'name', { value: 'AbortSignal' });

let crossFetchTakesLight: boolean | undefined;

/** Whether cross-fetch's Request takes a LightAbort as its signal: asked once, of the Request class itself. */
function lightAccepted(ponyfill: CrossFetch): boolean {
  if (crossFetchTakesLight === undefined) {
    try {
      const request = new ponyfill.Request('http://127.0.0.1/', { signal: new LightAbort().signal });
      crossFetchTakesLight = (request as { signal?: unknown }).signal instanceof LightAbort;
    } catch {
      crossFetchTakesLight = false;
    }
  }
  return crossFetchTakesLight;
}

/**
 * What this library knows of the `fetch` it sends with, to spend less per request: how to make a request's
 * abort signal, and how to read one response header.
 */
export interface FetchKind {
  /** Makes the abort signal (and controller) of one request. */
  readonly newAbort: () => RequestAbort;
  /** A response header by its lower-case name, or null: as `response.headers.get(name)` answers. */
  header(response: Response, name: string): string | null;
}

/** Any fetch: platform AbortControllers, headers read through `Headers.get`. */
const anyFetch: FetchKind = {
  newAbort: () => new AbortController(),
  header: (response, name) => response.headers.get(name),
};

interface NodeFetchHeaders {
  raw(): Record<string, string[] | undefined>;
}

/**
 * cross-fetch's own fetch: light abort signals and, on Node, headers read from node-fetch's raw map (its
 * public `raw()`: names as Node's HTTP parser gives them, in lower case). node-fetch's `get` lower-cases every
 * header name it holds on each call, which costs more per request than everything else this library reads.
 */
const crossFetchKind: FetchKind = {
  newAbort: () => new LightAbort(),
  header(response, name) {
    const headers = response.headers as unknown as Partial<NodeFetchHeaders> & Headers;
    if (typeof headers.raw !== 'function') return headers.get(name);
    const values = headers.raw()[name];
    return values === undefined ? null : values.join(', ');
  },
};

/**
 * The {@link FetchKind} of `fetch`: cross-fetch's own fetch when its Request takes a light signal; any other
 * fetch (the platform's, or a function that wraps cross-fetch: what it does with the signal and the headers is
 * not known here) is treated as the platform's. A browser build carries no cross-fetch (see cross-fetch.ts): every
 * fetch is treated as the platform's there.
 */
export function fetchKindOf(fetch: Fetch): FetchKind {
  return crossFetch !== undefined && fetch === crossFetch.fetch && lightAccepted(crossFetch) ? crossFetchKind : anyFetch;
}
