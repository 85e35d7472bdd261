import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { firstValueFrom, lastValueFrom, map, skipWhile, take, toArray } from 'rxjs';
import * as ts from 'typescript';
import { DecodeError, TaskFailedError, TaskTimeoutError, TransportError, UnknownStatusError, createTaskPoller, pollTask$, withDecision, withInterval } from '../lib/index.js';
import { describeError } from '../docs/examples/describe-error.js';
import { jobSource, watchJob } from '../docs/examples/fetch-source.js';
import { sprintToFinish } from '../docs/examples/custom-strategy.js';
import { summarize, waitForResponse, waitUnlessAborted } from '../docs/examples/promise-wait.js';
import { renderJob$ } from '../docs/examples/start-and-cancel.js';
import { startJobApi, type JobApi } from './helpers/job-api.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deadlineTask } from '../lib/http/index.js';
import { startTaskServer } from '../lib/testing/index.js';
import { renderJob } from '../docs/examples/render-farm-dialect.js';
import { signedFetch, type SignableRequest } from '../docs/examples/signed-fetch.js';
import { importSurvivesA503 } from '../docs/examples/simulator-test.js';
import { renderBoard$ } from '../docs/examples/dashboard.js';
import { mergeAll } from '../docs/examples/batch.js';
import { badge$, jobPage, poller } from '../docs/examples/shared-watchers.js';
import { sourceFor, until } from './helpers/sim.js';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { tap } from 'rxjs';
import { serializeTask } from '../lib/http/index.js';
import { simulatedSource } from '../lib/testing/index.js';
import { waitSurvivingRestarts } from '../docs/examples/resume-node.js';
import { waitAcrossReloads } from '../docs/examples/resume-browser.js';
import { reading } from './helpers/readings.js';
import { newTestScheduler, sequenceSource, trackingScheduler } from './helpers/sources.js';

const root = resolve(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every Markdown file under docs/, as paths from the project root. */
function markdownFiles(folder = join(root, 'docs')): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? markdownFiles(join(folder, entry.name)) : entry.name.endsWith('.md') ? [relative(root, join(folder, entry.name))] : [],
  );
}

describe('the docs', () => {
  const docs = markdownFiles()
    .map((file) => read(file))
    .join('\n');

  it.each([
    ['the core entry', 'lib/index.ts', 40],
    ['poll-task/http', 'lib/http/index.ts', 20],
    ['poll-task/testing', 'lib/testing/index.ts', 5],
    ['poll-task/angular', 'lib/angular/index.ts', 3],
  ])('give every export of %s a doc comment and a mention in docs/', (_name, entry, least) => {
    const program = ts.createProgram([join(root, entry)], {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: ['node'],
    });
    const checker = program.getTypeChecker();
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)!;
    const missing: string[] = [];
    const exports = checker.getExportsOfModule(module);
    expect(exports.length).toBeGreaterThanOrEqual(least);
    for (const exported of exports) {
      const name = exported.getName();
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (target.getDocumentationComment(checker).length === 0) missing.push(`${name}: no doc comment`);
      if (!new RegExp(`\\b${name.replace('$', '\\$')}`).test(docs)) missing.push(`${name}: not in docs/`);
    }
    expect(missing).toEqual([]);
  });

  it('link only to files that exist', () => {
    const missing: string[] = [];
    for (const file of ['README.md', ...markdownFiles()]) {
      const base = dirname(file);
      for (const [, target] of read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^https?:/.test(target!)) continue;
        try {
          readFileSync(join(root, base, target!));
        } catch {
          try {
            readdirSync(join(root, base, target!));
          } catch {
            missing.push(`${file} → ${target}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('prove every guarantee of reliability.md with specs that exist, and cite every spec of spec/reliability/', () => {
    const page = read('docs/reliability.md');
    const rows = page.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| guarantee') && !line.startsWith('| fault') && !/^\| ---/.test(line));
    const guarantees = rows.filter((row) => row.split(' | ').length === 2);
    expect(guarantees.length).toBeGreaterThan(40);
    // Each guarantee names at least one spec file ("same" repeats the row above).
    const unproved = guarantees.filter((row) => !/`spec\/[^`]+\.spec\.ts`|\| same \|$/.test(row));
    expect(unproved).toEqual([]);
    const cited = [...page.matchAll(/`(spec\/[^`]+\.spec\.ts)`/g)].map(([, path]) => path!);
    expect(cited.filter((path) => !existsSync(join(root, path)))).toEqual([]);
    const reliability = readdirSync(join(root, 'spec/reliability')).map((file) => `spec/reliability/${file}`);
    expect(reliability.filter((path) => !cited.includes(path))).toEqual([]);
  });

  it('show in the README exactly the example that compiles', () => {
    const example = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion/.exec(read('docs/examples/readme.ts'))![1]!;
    expect(read('README.md')).toContain('```ts\n' + example + '```');
  });
});

describe('the docs examples', () => {
  let api: JobApi;
  beforeEach(async () => {
    api = await startJobApi();
  });
  afterEach(() => api.close());

  it('fetch-source: waits for a job over HTTP and returns the validated report', async () => {
    api.add('j1', 3);
    const lines: string[] = [];
    await expect(watchJob(api.url, 'j1', (line) => lines.push(line), withInterval(0))).resolves.toEqual({ rows: 30, url: '/reports/j1' });
    expect(lines).toEqual(['watching j1']);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /jobs/j1', 'GET /jobs/j1', 'GET /jobs/j1', 'GET /jobs/j1/result']);
  });

  it('fetch-source: reports progress as a fraction and carries the vendor word', async () => {
    api.add('j2', 4);
    const events = await lastValueFrom(pollTask$(jobSource(api.url, 'j2'), withInterval(0)).pipe(map((e) => [e.snapshot.vendorStatus, e.snapshot.progress]), toArray()));
    expect(events).toEqual([
      ['QUEUED', 0.25],
      ['WORKING', 0.5],
      ['WORKING', 0.75],
      ['DONE', 1],
    ]);
  });

  it('fetch-source: retries a 503 and ends a 404 at once', async () => {
    api.add('j3', 1);
    api.failNext(2, 503);
    await expect(watchJob(api.url, 'j3', () => undefined, withInterval(0))).resolves.toMatchObject({ rows: 10 });
    const notFound = await watchJob(api.url, 'nope', () => undefined, withInterval(0)).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(TransportError);
    expect(notFound).toMatchObject({ status: 404, retryable: false });
  });

  it('fetch-source: a failed job, a report of the wrong shape and an unknown state each end with their error', async () => {
    api.add('bad', 1, 'error');
    api.add('shape', 1, 'bad-report');
    api.add('odd', 1, 'strange-state');
    const failed = (await watchJob(api.url, 'bad', () => undefined).catch((e: unknown) => e)) as TaskFailedError;
    expect(failed.failure).toEqual({ code: 'E_SCENE', message: 'Scene file is corrupt' });
    expect(await watchJob(api.url, 'shape', () => undefined).catch((e: unknown) => e)).toBeInstanceOf(DecodeError);
    const odd = (await watchJob(api.url, 'odd', () => undefined).catch((e: unknown) => e)) as UnknownStatusError;
    expect(odd.vendorStatus).toBe('PAUSED_BY_ADMIN');
  });

  it('start-and-cancel: subscribing creates the job, unsubscribing deletes it', async () => {
    const first = await firstValueFrom(renderJob$(api.url, 'castle', 0));
    expect(first.snapshot.vendorStatus).toBe('QUEUED');
    // firstValueFrom unsubscribed after the first event: the job was cancelled on the API.
    await waitFor(() => api.requests.some((r) => r.method === 'DELETE'));
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'DELETE']);
  });

  it('start-and-cancel: a job that finishes is not deleted', async () => {
    const report = await lastValueFrom(renderJob$(api.url, 'castle', 0).pipe(skipWhile((e) => e.type !== 'result'), take(1)));
    expect(report.type).toBe('result');
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('promise-wait: waits like Benchling\'s SDK and summarises any outcome', async () => {
    api.add('p1', 2);
    api.add('p2', 1, 'error');
    await expect(waitForResponse(jobSource(api.url, 'p1'), 0)).resolves.toEqual({ rows: 20, url: '/reports/p1' });
    await expect(summarize(jobSource(api.url, 'p2'), 0)).resolves.toBe(
      'did not succeed (ERROR): Task "' + `${api.url}/jobs/p2` + '" failed on the service with code E_SCENE: "Scene file is corrupt"; see error.failure for the details, and start a new task once the cause is fixed.',
    );
  });

  it('promise-wait: an abort stops the wait and cancels the job', async () => {
    api.add('p3', 100);
    const controller = new AbortController();
    const percents: number[] = [];
    const waiting = waitUnlessAborted(jobSource(api.url, 'p3'), controller.signal, (percent) => {
      percents.push(percent);
      controller.abort();
    });
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => api.requests.some((r) => r.method === 'DELETE'));
    expect(percents).toEqual([1]);
  });

  it('describe-error: turns each kind of failure into a sentence', () => {
    const snapshot = { taskId: 't', runStatus: 'running' as const, vendorStatus: 'W', polls: 2, elapsedMs: 5, progress: 0.42, raw: {} };
    expect(describeError(new TaskFailedError({ ...snapshot, runStatus: 'failed' }, { code: 'E1', message: 'Disk full' }))).toBe('The job failed (E1): Disk full.');
    expect(describeError(new TaskTimeoutError(100, 100, snapshot))).toBe('Still running at 42%; we stopped waiting. Check again later.');
    expect(describeError(new TransportError('x', { status: 404, retryable: false }))).toBe('The job was not found (it may have expired).');
    const busy = new TransportError('x', { status: 503, retryable: true });
    expect(describeError(busy)).toBe('The service cannot be reached right now. Try again later.');
    expect(describeError(withDecision(busy, { attempts: 6, text: 'Gave up.' }))).toBe('The service cannot be reached right now (we tried 6 times). Try again later.');
    expect(describeError(new Error('x'))).toBe('Something went wrong in the app.');
  });
});

describe('the HTTP docs examples', () => {
  it('simulator-test: survives a 503 and reads the result', async () => {
    await expect(importSurvivesA503()).resolves.toEqual({ message: 'imported 12 sequences', requests: 4 });
  });

  it('signed-fetch: signs every request, and the signed headers reach the service', async () => {
    const sim = await startTaskServer();
    try {
      const task = sim.create('deadline', { reads: 2 });
      const signed: string[] = [];
      const signer = {
        sign: async (request: SignableRequest) => {
          signed.push(`${request.method} ${request.hostname}${request.path}`);
          return { headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 Credential=test', 'x-amz-date': '20261123T000000Z' } };
        },
      };
      const ids = task.ids as Record<string, string>;
      const source = deadlineTask({ endpoint: ids.endpoint!, farmId: ids.farmId!, queueId: ids.queueId!, jobId: ids.jobId!, stepId: ids.stepId!, taskId: ids.taskId!, fetch: signedFetch(signer) });
      await lastValueFrom(pollTask$(source, withInterval(0)));
      expect(signed).toHaveLength(2);
      expect(signed[0]).toBe(`GET 127.0.0.1${new URL(task.url).pathname}`);
      expect(sim.requests.map((r) => [r.headers.authorization, r.headers['x-amz-date']])).toEqual([
        ['[redacted]', '20261123T000000Z'],
        ['[redacted]', '20261123T000000Z'],
      ]);
    } finally {
      await sim.close();
    }
  });

  it('render-farm-dialect: follows a job of a service that is not built in, to its output', async () => {
    const frames: Array<Record<string, unknown>> = [
      { state: 'QUEUED' },
      { state: 'RENDERING', frame: 12, frames: 48 },
      { state: 'DONE', frame: 48, frames: 48 },
    ];
    let reads = 0;
    const server = createServer((request, response) => {
      const body = request.url?.endsWith('/output') ? { url: 'https://cdn.example.com/r/7.mp4', frames: 48 } : frames[Math.min(reads++, frames.length - 1)];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const farm = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const events = await lastValueFrom(pollTask$(renderJob(farm, '7'), withInterval(0)).pipe(toArray()));
      expect(events.map((e) => [e.snapshot.vendorStatus, e.snapshot.progress, e.snapshot.message])).toEqual([
        ['QUEUED', undefined, undefined],
        ['RENDERING', 0.25, 'frame 12 of 48'],
        ['DONE', 1, 'frame 48 of 48'],
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'result', result: { url: 'https://cdn.example.com/r/7.mp4', frames: 48 } });
      expect(renderJob(farm, '7').cancel).toBeDefined();
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});

describe('the many-tasks examples, against the simulator', () => {
  it('dashboard: rows, overall progress and failures in their rows; leaving cancels what runs', async () => {
    const sim = await startTaskServer();
    try {
      const tasks = [sim.create('evo', { reads: 2 }), sim.create('evo', { reads: 3, outcome: 'failed', failure: { code: 'E', message: 'GPU lost' } }), sim.create('deepint', { reads: 2 })];
      const renders = tasks.map((task) => sourceFor(task));
      const boards = await lastValueFrom(renderBoard$(renders, 0).pipe(toArray()));
      const last = boards.at(-1)!;
      expect(last).toMatchObject({ overall: 100, finished: '3 of 3' });
      expect(last.failures).toEqual([`${tasks[1]!.url}: Task "${tasks[1]!.url}" failed on the service with code E: "GPU lost"; see error.failure for the details, and start a new task once the cause is fixed.`]);
      expect(last.rows.map((r) => r.status).sort()).toEqual(['failed', 'succeeded', 'success']);
      const running = sim.create('evo', { reads: 50 });
      await lastValueFrom(renderBoard$([sourceFor(running)], 0).pipe(take(2)));
      await until(() => sim.cancelRequested(running.id), 'the cancel');
    } finally {
      await sim.close();
    }
  });

  it('batch: results in the order given, or the first failure', async () => {
    const sim = await startTaskServer();
    try {
      const merges = [sim.create('affinity', { reads: 3 }), sim.create('affinity', { reads: 1 })];
      const results = (await mergeAll(merges.map((m) => sourceFor(m)), 10_000, withInterval(0))) as Array<{ id: string }>;
      expect(results.map((r) => r.id)).toEqual(merges.map((m) => m.id));
      const failing = [sim.create('affinity', { reads: 4 }), sim.create('affinity', { reads: 2, outcome: 'failed' })];
      const error = await mergeAll(failing.map((m) => sourceFor(m)), 10_000, withInterval(0)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TaskFailedError', taskId: failing[1]!.url });
    } finally {
      await sim.close();
    }
  });

  it('shared-watchers: one loop for the badge and the page; leaving the page cancels only when it is the last', async () => {
    const sim = await startTaskServer();
    try {
      const job = sim.create('deadline', { reads: 1000 });
      const source = sourceFor(job, {});
      const quick = createTaskPoller({ strategy: withInterval(5), maxConcurrentRequests: 6 });
      const badge = badge$(source, quick).subscribe();
      const states: string[] = [];
      const page = jobPage(source, (state) => states.push(state.state), quick);
      await until(() => states.length >= 3, 'a few readings');
      page.unsubscribe();
      expect(sim.cancelRequested(job.id)).toBe(false); // the badge still watches
      expect(quick.watchers(source.id)).toBe(1);
      expect(poller.stats().sent).toBe(0); // the app-wide poller of the example was not used here
      badge.unsubscribe();
      expect(sim.cancelRequested(job.id)).toBe(false); // the badge left last, and it never asks to cancel
      const again = jobPage(source, () => undefined, quick);
      await until(() => sim.requests.length > 0, 'a request');
      again.unsubscribe();
      await until(() => sim.cancelRequested(job.id), 'the cancel');
      const perPoll = sim.requests.filter((r) => r.method === 'GET');
      expect(new Set(perPoll.map((r) => r.time)).size).toBe(perPoll.length); // never two reads at once
    } finally {
      await sim.close();
    }
  });
});

describe('the resume examples, against the simulator', () => {
  it('resume-node: a worker that crashed after two readings continues the same wait on restart', async () => {
    const sim = await startTaskServer();
    const file = join(mkdtempSync(join(tmpdir(), 'poll-task-')), 'wait.json');
    try {
      const task = sim.create('evo', { reads: 5, result: { cells: 7 } });
      const options = { allowedOrigins: [sim.url], strategy: withInterval(0), deadline: Date.now() + 60_000 };
      // First run: the process dies after two readings (modelled by abandoning the wait; the file stays).
      const crashed = lastValueFrom(pollTask$(simulatedSource(task), withInterval(0)).pipe(
        tap((event) => writeFileSync(file, serializeTask(simulatedSource(task), event.snapshot, { deadline: options.deadline }))),
        take(2),
      ));
      await crashed;
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ polls: 2, url: task.url });
      // Restart: the worker calls the same function with a new source for the same task.
      await expect(waitSurvivingRestarts(file, simulatedSource(task), options)).resolves.toEqual({ cells: 7 });
      expect(existsSync(file)).toBe(false);
      expect(sim.requests.filter((r) => r.path === new URL(task.url).pathname)).toHaveLength(5);
    } finally {
      await sim.close();
    }
  });

  it('resume-browser: a reload continues the wait from the stored token, and the end forgets it', async () => {
    const sim = await startTaskServer();
    try {
      const stored = new Map<string, string>();
      const store = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v), removeItem: (k: string) => void stored.delete(k) };
      const task = sim.create('deadline', { reads: 4 });
      const options = { allowedOrigins: [sim.url], strategy: withInterval(0) };
      // The page shows two readings, then reloads: the subscription simply disappears with the page.
      const page = waitAcrossReloads('render', () => simulatedSource(task), options, store).subscribe();
      await until(() => (stored.get('render') ?? '').includes('"polls":2'), 'two readings');
      stored.set('saved', stored.get('render')!);
      page.unsubscribe(); // in a real reload finalize never runs; here it does, so put the token back
      stored.set('render', stored.get('saved')!);
      const polls = await lastValueFrom(waitAcrossReloads('render', () => { throw new Error('a reload must not start a new task'); }, options, store).pipe(map((e) => e.snapshot.polls), toArray()));
      expect(polls).toEqual([3, 4]);
      expect(stored.has('render')).toBe(false);
    } finally {
      await sim.close();
    }
  });
});

describe('custom-strategy example', () => {
  it('asks every second, then every 200 ms from 90 %', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ flush }) => {
      const timers = trackingScheduler(scheduler);
      const source = sequenceSource('t', scheduler, [reading.running(0.5), reading.running(0.92), reading.running(0.97), reading.succeeded('ok')]);
      let result: unknown;
      pollTask$(source, sprintToFinish(1000, 200, timers)).subscribe((e) => (result = e.type === 'result' ? e.result : result));
      flush();
      expect(timers.scheduled).toEqual([1000, 200, 200]);
      expect(result).toBe('ok');
    });
  });
});

/** Waits for `condition` to hold, checking after each turn of the event loop, for at most 2 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const give = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > give) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
