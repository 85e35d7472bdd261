import fc from 'fast-check';
import * as t from 'io-ts';
import { isPollTaskError, isRunStatus, pollTask$, withInterval, type TaskEvent } from '../../lib/index.js';
import { affinity, benchling, deadline, deepint, evo, httpTask, type Dialect, type Fetch } from '../../lib/http/index.js';

const all: ReadonlyArray<[string, Dialect]> = [
  ['benchling', benchling],
  ['affinity', affinity],
  ['evo', evo],
  ['deepint', deepint],
  ['deadline', deadline],
];

/** Words each dialect knows, so generated bodies often get past the status check. */
const words = ['RUNNING', 'SUCCEEDED', 'FAILED', 'pending', 'in-progress', 'success', 'failed', 'requested', 'in progress', 'cancelled', 'succeeded', 'running', 'READY', 'CANCELED', 'NOT_COMPATIBLE', '__proto__', 'constructor', ''];
const keys = ['status', 'runStatus', 'taskId', 'progress', 'message', 'subtask', 'result', 'result_type', 'response', 'errors', 'error', 'resultsSummary', 'error_code', '__proto__', 'constructor', 'prototype'];

/** JSON bodies shaped like status answers, with hostile keys mixed in. */
const bodies = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.constantFrom(...words), fc.jsonValue()), { maxKeys: 8 }),
  fc.record({ status: fc.constantFrom(...words), runStatus: fc.constantFrom(...words), taskId: fc.string() }, { requiredKeys: [] }),
);

const Result = t.type({ ok: t.literal(true) });

/** Polls one answer (status, headers, body) through httpTask and reports how it ended. */
async function pollOnce(dialect: Dialect, status: number, headers: Record<string, string>, body: string): Promise<{ events: TaskEvent<unknown>[]; error?: unknown }> {
  const answer: Fetch = async () => new Response([101, 204, 205, 304].includes(status) ? null : body, { status, headers });
  const source = httpTask({ url: 'https://api.example.com/tasks/1', dialect, fetch: answer, result: Result, requestTimeoutMs: 2000 });
  const events: TaskEvent<unknown>[] = [];
  return new Promise((resolve) => {
    // Whatever the answer, one reading decides: errors are not retried, a running task is not asked again.
    const subscription = pollTask$(source, withInterval(0, { maxConsecutiveErrors: 0 })).subscribe({
      next: (event) => {
        events.push(event);
        if (event.type === 'progress') {
          queueMicrotask(() => subscription.unsubscribe());
          resolve({ events });
        }
      },
      error: (error: unknown) => resolve({ events, error }),
      complete: () => resolve({ events }),
    });
  });
}

describe('fuzzing', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).ok).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(all)('the %s decoder never throws and maps every body to a RunStatus or to "unknown"', (_name, dialect) => {
    fc.assert(
      fc.property(bodies, (body) => {
        const decoded = dialect.status.decode(body);
        if (decoded._tag === 'Left') return true;
        const reading = dialect.toReading(decoded.right, { status: 200, url: 'https://x', headers: { get: () => null } });
        return (
          (reading.runStatus === undefined || isRunStatus(reading.runStatus)) &&
          typeof reading.vendorStatus === 'string' &&
          (reading.progress === undefined || Number.isFinite(reading.progress))
        );
      }),
      { numRuns: 500 },
    );
  });

  it.each(all)('httpTask with %s lets nothing but a PollTaskError escape, and emits no result that does not decode', async (_name, dialect) => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 200, 200, 201, 202, 204, 301, 302, 400, 401, 404, 408, 429, 500, 502, 503, 599),
        fc.record(
          {
            'retry-after': fc.oneof(fc.string(), fc.nat().map(String), fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toUTCString()))),
            'retry-after-ms': fc.oneof(fc.string(), fc.integer().map(String)),
            location: fc.oneof(fc.webUrl(), fc.constantFrom('/tasks/1', '//evil.example.com/x', 'javascript:alert(1)', '')),
            'content-type': fc.constantFrom('application/json', 'text/html', 'text/plain'),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(bodies.map((body) => JSON.stringify(body)), fc.string(), fc.constantFrom('{"status": "RUNN', '<html>502</html>', '')),
        async (status, headers, body) => {
          const safeHeaders = Object.fromEntries(Object.entries(headers).filter(([, value]) => /^[\x20-\x7e]*$/.test(value)));
          const { events, error } = await pollOnce(dialect, status, safeHeaders, body);
          if (error !== undefined && !isPollTaskError(error)) return false;
          for (const event of events) {
            if (event.type === 'result' && !Result.is(event.result) && event.result !== undefined) return false;
          }
          return true;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('__proto__ and constructor keys in answers pollute nothing', async () => {
    const hostile = [
      '{"__proto__": {"polluted": true}, "status": "SUCCEEDED", "response": {"__proto__": {"polluted": true}, "ok": true}}',
      '{"constructor": {"prototype": {"polluted": true}}, "status": "success", "result": "r", "result_type": "__proto__"}',
      '{"status": "__proto__", "runStatus": "constructor", "taskId": "t"}',
    ];
    for (const [, dialect] of all) {
      for (const body of hostile) {
        const { events, error } = await pollOnce(dialect, 200, {}, body);
        expect(error === undefined || isPollTaskError(error)).toBe(true);
        for (const event of events) {
          if (event.type === 'result' && typeof event.result === 'object' && event.result !== null) {
            expect(Object.getPrototypeOf(event.result)).toBe(Object.prototype);
          }
        }
      }
    }
  });
});
