import fc from 'fast-check';
import { lastValueFrom, take, toArray } from 'rxjs';
import { DecodeError, pollTask$, withInterval, type TaskSnapshot } from '../../lib/index.js';
import { secretsOf } from '../../lib/util/redact.js';
import { benchling, httpTask, resumeTask$, resumedSource, serializeTask, type Fetch } from '../../lib/http/index.js';

const origin = 'https://api.example.com';
const maxUrl = 8192;
const maxPolls = 2 ** 31 - 1;
const maxTime = 8.64e15;

/** Numbers at and around every edge a token's fields have, as JSON text (1e999 parses to Infinity). */
const numbers = fc.constantFrom(
  '0', '-0', '1', '-1', '0.5', '-0.5', '2', '1e999', '-1e999', '2147483647', '2147483648', '4294967296',
  '9007199254740991', '9007199254740992', '1.5e308', '8640000000000000', '8640000000000001', '-8640000000000000', '-8640000000000001',
  '1700000000000', '1700000000000.5', 'null', '"5"', 'true', '[]', '{}',
);
/** A status URL whose length is at the limit, just around it, or far past it. */
const urls = fc.oneof(
  fc.integer({ min: maxUrl - 3, max: maxUrl + 3 }),
  fc.constantFrom(30, 100_000),
).map((length) => `${origin}/t/`.padEnd(length, 'x'));

/** The documented rules, written out: what a token's fields must be to be read. */
const valid = {
  polls: (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= maxPolls,
  startedAt: (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= maxTime,
  deadline: (n: unknown) => n === null || (typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= maxTime),
  url: (url: string) => url.length <= maxUrl,
};

/** A fetch that answers every status request "succeeded" and remembers the URLs asked for. */
function answering(): { fetch: Fetch; asked: string[] } {
  const asked: string[] = [];
  const fetch: Fetch = async (url) => {
    asked.push(url);
    return new Response(JSON.stringify({ status: 'SUCCEEDED', response: { ok: true } }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, asked };
}

describe('resume tokens under hostile input', () => {
  it('are read only when every counter, time and the URL are in range; anything else is a DecodeError with a short message', () => {
    fc.assert(
      fc.property(numbers, numbers, numbers, urls, (polls, startedAt, deadline, url) => {
        const token = `{"pollTask":"resume","v":1,"dialect":"Benchling","url":${JSON.stringify(url)},"startedAt":${startedAt},"deadline":${deadline},"polls":${polls}}`;
        const fields = JSON.parse(token) as Record<string, unknown>;
        const readable = valid.polls(fields.polls) && valid.startedAt(fields.startedAt) && valid.deadline(fields.deadline) && valid.url(url);
        let error: unknown;
        try {
          resumedSource(token, { allowedOrigins: [origin] });
        } catch (e) {
          error = e;
        }
        if (readable) {
          expect(error).toBeUndefined();
        } else {
          expect(error).toBeInstanceOf(DecodeError);
          expect((error as DecodeError).kind).toBe('decode');
          // A tampered token's 100,000-character URL is clipped, not repeated, in the message and its issues.
          expect((error as DecodeError).message.length).toBeLessThan(1500);
          expect((error as DecodeError).issues.join('\n').length).toBeLessThan(3000);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('are written only from counters and times in range; anything else is a TypeError, and what is written reads back', () => {
    const source = httpTask({ url: `${origin}/api/v2/tasks/1`, dialect: benchling });
    const counts = fc.oneof(fc.constantFrom(-1, -0.5, 0.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -0, 0, 1), fc.double(), fc.integer());
    const deadlines = fc.oneof(fc.constantFrom(undefined, NaN, Infinity, -Infinity, 0, -1, 1.5, maxTime, maxTime + 1, -maxTime, 2 ** 53), fc.double());
    fc.assert(
      fc.property(counts, counts, deadlines, (polls, elapsedMs, deadline) => {
        const snapshot = { taskId: 'x', runStatus: 'running', vendorStatus: 'RUNNING', polls, elapsedMs, raw: {} } as TaskSnapshot;
        const writable = valid.polls(polls) && Number.isFinite(elapsedMs) && elapsedMs >= 0 && elapsedMs <= Date.now() && (deadline === undefined || valid.deadline(deadline));
        let token: string | undefined;
        let error: unknown;
        try {
          token = serializeTask(source, snapshot, deadline === undefined ? {} : { deadline });
        } catch (e) {
          error = e;
        }
        if (!writable) {
          expect(error).toBeInstanceOf(TypeError);
          return;
        }
        expect(error).toBeUndefined();
        // Through JSON, as the token went: -0 is written 0.
        expect(JSON.parse(token!)).toMatchObject(JSON.parse(JSON.stringify({ polls, deadline: deadline ?? null })));
        expect(() => resumedSource(token!, { allowedOrigins: [origin] })).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('refuse a status URL too long to write, with a TypeError', () => {
    for (const length of [maxUrl - 1, maxUrl, maxUrl + 1]) {
      const source = httpTask({ url: `${origin}/t/`.padEnd(length, 'x') + '?sig=abc', dialect: benchling });
      if (length <= maxUrl) expect(JSON.parse(serializeTask(source)).url).toHaveLength(length);
      else expect(() => serializeTask(source)).toThrow(TypeError);
    }
  });

  // Secrets: long random words, so one appears in a token only if it was put there.
  const secret = fc.stringMatching(/^[A-Za-z0-9+/ =_.~-]{12,32}$/).filter((s) => s.trim() === s);
  const query = fc.array(fc.tuple(fc.constantFrom('sig', 'access_token', 'X-Amz-Signature', 'key', 'page'), secret), { minLength: 0, maxLength: 3 });

  it('never hold a query value or a credential the requests sent, and resume such a URL when it is given again', async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        secret,
        query,
        fc.constantFrom('none', 'plain', 'encoded'),
        fc.boolean(),
        async (bearer, apiKey, pairs, inPath, asFunction) => {
          const put = inPath === 'none' ? 'job-7' : inPath === 'plain' ? apiKey.replace(/[^A-Za-z0-9_.~-]/g, '') || 'job-7' : encodeURIComponent(apiKey);
          const path = `/api/v2/tasks/${put}`;
          const search = pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`;
          const full = `${origin}${path}${search}`;
          const headers = { authorization: `Bearer ${bearer}`, 'x-api-key': apiKey, 'x-trace': 'trace-1' };
          const { fetch, asked } = answering();
          const source = httpTask({ url: full, dialect: benchling, fetch, headers: asFunction ? async () => headers : headers });
          // One request first, so a headers function has answered.
          const first = await lastValueFrom(pollTask$(source, withInterval(0)).pipe(take(1)));
          const path$ = decodeURIComponent(new URL(full).pathname);
          // The secrets sent, in every form the one redaction rule searches for (spec/util/redact.spec.ts).
          const holdsCredential = secretsOf(headers).some((value) => path$.includes(value) || new URL(full).pathname.includes(value));
          let token: string;
          try {
            token = serializeTask(source, first.snapshot);
          } catch (error) {
            // Refused only for a path that holds a credential.
            expect(error).toBeInstanceOf(TypeError);
            expect(holdsCredential).toBe(true);
            return;
          }
          expect(holdsCredential).toBe(false);
          for (const [, value] of pairs) {
            expect(token).not.toContain(value);
            expect(token).not.toContain(encodeURIComponent(value));
            expect(token).not.toContain(new URLSearchParams({ v: value }).toString().slice(2));
          }
          for (const value of [bearer, apiKey]) expect(token).not.toContain(value);
          expect(token).not.toContain('?');

          if (new URL(full).search !== '') {
            // Without the URL the resume is refused, with it the full URL is asked for.
            expect(() => resumeTask$(token, { allowedOrigins: [origin], fetch, headers })).toThrow(TypeError);
            const events = await lastValueFrom(resumeTask$(token, { allowedOrigins: [origin], fetch, headers, url: full, strategy: withInterval(0) }).pipe(toArray()));
            expect(events.at(-1)?.type).toBe('result');
            expect(asked.at(-1)).toBe(new URL(full).href);
          } else {
            await lastValueFrom(resumeTask$(token, { allowedOrigins: [origin], fetch, headers, strategy: withInterval(0) }));
            expect(asked.at(-1)).toBe(new URL(full).href);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
