// What httpTask knows of the fetch it sends with: light abort signals and raw header reads for cross-fetch's
// own fetch (node-fetch 2 here), the platform's AbortController and Headers.get for any other.
import crossFetch, { Headers as NodeFetchHeaders, Request as NodeFetchRequest, Response as NodeFetchResponse } from 'cross-fetch';
import { lastValueFrom } from 'rxjs';
import { fetchKindOf } from '../../lib/http/fetch-kind.js';
import { benchling, httpTask, type Fetch } from '../../lib/http/index.js';

const kindOfCrossFetch = fetchKindOf(crossFetch as Fetch);
const kindOfOther = fetchKindOf((url, init) => crossFetch(url, init));

describe('fetchKindOf', () => {
  it('gives cross-fetch a light signal that node-fetch takes, and any other fetch a platform AbortController', () => {
    const light = kindOfCrossFetch.newAbort();
    expect(light).not.toBeInstanceOf(AbortController);
    expect(light.signal).not.toBeInstanceOf(AbortSignal);
    // node-fetch refuses a signal it does not take as an AbortSignal.
    expect(() => new NodeFetchRequest('http://127.0.0.1/', { signal: light.signal })).not.toThrow();
    expect(kindOfOther.newAbort()).toBeInstanceOf(AbortController);
  });

  it('hands a wrapping fetch a platform AbortSignal: what it does with it is not known', async () => {
    const signals: unknown[] = [];
    const wrapping: Fetch = async (_url, init) => {
      signals.push(init.signal);
      return new Response(JSON.stringify({ status: 'RUNNING' }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    await lastValueFrom(httpTask({ url: 'https://tenant.example/api/v2/tasks/t1', dialect: benchling, fetch: wrapping }).read());
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
  });
});

describe('the light abort signal', () => {
  it('starts unaborted, then aborts once with an AbortError, telling every listener and onabort', () => {
    const abort = kindOfCrossFetch.newAbort();
    const signal = abort.signal;
    const heard: string[] = [];
    signal.onabort = () => heard.push('onabort');
    signal.addEventListener('abort', () => heard.push('function'));
    signal.addEventListener('abort', { handleEvent: (event: Event) => heard.push(`object ${event.type}`) });
    signal.addEventListener('something else', () => heard.push('wrong type'));
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();

    abort.abort();
    abort.abort();
    expect(signal.aborted).toBe(true);
    expect(heard).toEqual(['onabort', 'function', 'object abort']);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    expect(() => signal.throwIfAborted()).toThrow(signal.reason as Error);
  });

  it('keeps the reason it is given, and forgets a listener removed (even one that removes itself while told)', () => {
    const abort = kindOfCrossFetch.newAbort();
    const heard: string[] = [];
    const removed = (): void => void heard.push('removed');
    const once = (): void => {
      heard.push('once');
      abort.signal.removeEventListener('abort', once);
    };
    abort.signal.addEventListener('abort', removed);
    abort.signal.addEventListener('abort', once);
    abort.signal.addEventListener('abort', once); // added twice, held once, as EventTarget does
    abort.signal.addEventListener('abort', () => heard.push('last'));
    abort.signal.removeEventListener('abort', removed);
    abort.abort('left');
    expect(heard).toEqual(['once', 'last']);
    expect(abort.signal.reason).toBe('left');
  });
});

describe('the light abort signal, with a listener that throws', () => {
  beforeEach(() => jest.useFakeTimers()); // queueMicrotask too: the error is seen where it surfaces
  afterEach(() => jest.useRealTimers());

  it('tells the other listeners, throws nothing into abort(), and lets the error surface', () => {
    const abort = kindOfCrossFetch.newAbort();
    const heard: string[] = [];
    abort.signal.onabort = () => {
      throw new Error('onabort broke');
    };
    abort.signal.addEventListener('abort', () => heard.push('next'));
    expect(() => abort.abort()).not.toThrow();
    expect(heard).toEqual(['next']);
    expect(() => jest.runAllTicks()).toThrow('onabort broke');
  });
});

describe('reading a response header', () => {
  const response = (headers: Record<string, string>): Response => new NodeFetchResponse('{}', { headers: new NodeFetchHeaders(headers) }) as unknown as Response;

  it("reads node-fetch's raw map by lower-case name, joining repeated values as Headers.get does", () => {
    const headers = new NodeFetchHeaders({ 'retry-after': '3' });
    headers.append('x-many', 'a');
    headers.append('x-many', 'b');
    const answer = new NodeFetchResponse('{}', { headers }) as unknown as Response;
    expect(kindOfCrossFetch.header(answer, 'retry-after')).toBe('3');
    expect(kindOfCrossFetch.header(answer, 'x-many')).toBe(answer.headers.get('x-many'));
    expect(kindOfCrossFetch.header(answer, 'x-many')).toBe('a, b');
    expect(kindOfCrossFetch.header(answer, 'absent')).toBeNull();
  });

  it('falls back to Headers.get for a response that is not node-fetch\'s', () => {
    const platform = new Response('{}', { headers: { 'Retry-After': '5' } });
    expect(kindOfCrossFetch.header(platform, 'retry-after')).toBe('5');
    expect(kindOfOther.header(response({ 'Content-Length': '2' }), 'content-length')).toBe('2');
  });
});
