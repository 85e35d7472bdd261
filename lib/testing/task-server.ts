import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultRandom, monotonic, sleep, wallClock } from '../internal/clock.js';
import { loggedHeaders } from '../internal/redact.js';

/** The five task APIs the simulator speaks. */
export type SimDialect = 'benchling' | 'affinity' | 'evo' | 'deepint' | 'deadline';

/** The dialects the simulator speaks, in a list. */
export const SIM_DIALECTS: readonly SimDialect[] = Object.freeze(['benchling', 'affinity', 'evo', 'deepint', 'deadline'] as const);

/**
 * A simulated task. It runs for `durationMs` of the server's clock, or for `reads` status reads (each read
 * advances it one step: deterministic, for tests that count requests), then ends as `outcome` says.
 */
export interface SimTaskSpec {
  /** How long the task runs, from its creation. @default 100 (unless `reads` is given) */
  readonly durationMs?: number;
  /** Or: how many status reads it takes; the last one reports the outcome. */
  readonly reads?: number;
  /** How progress is reported while it runs: in 1 % `linear` steps, in quarter `steps`, or `none`. @default 'linear' */
  readonly progress?: 'linear' | 'steps' | 'none';
  /** Names of the phases it goes through, evenly split (reported as `subtask` or `message` where the dialect has one). */
  readonly subtasks?: readonly string[];
  /** How it ends. @default 'succeeded' */
  readonly outcome?: 'succeeded' | 'failed' | 'canceled';
  /** The result of a succeeded task. @default { taskId, output: "result of <id>" } */
  readonly result?: unknown;
  /** Why a failed task failed. @default { code: 'SIM_FAILURE', message: 'The simulated task failed.' } */
  readonly failure?: { readonly code?: string; readonly message?: string };
  /** After the task ended, its data expires this many ms later: reads then answer 404 (Benchling keeps tasks 30 minutes). */
  readonly resultExpiresAfterMs?: number;
  /** The task's id. @default a counter, e.g. "task-3" */
  readonly id?: string;
}

/** A task the simulator holds: its id, its status URL, and the ids its builder takes. */
export interface SimTask {
  /** The task's id, as its service's paths carry it. */
  readonly id: string;
  /** The service whose API the task speaks. */
  readonly dialect: SimDialect;
  /** The status URL. */
  readonly url: string;
  /**
   * The options that locate the task for its builder: spread them into `benchlingTask`, `affinityTask`,
   * `evoJob`, `deepintTask` or `deadlineTask` (e.g. `benchlingTask({ ...task.ids, result })`).
   */
  readonly ids: Readonly<Record<string, string>>;
}

/**
 * A fault the simulator injects into the requests it matches, `times` times (or with a `probability`).
 *
 * - `status`: answer `status` (default 503), with `retryAfter` / `retryAfterMs` headers if given;
 * - `reset`: destroy the connection without answering;
 * - `slow`: wait `delayMs` (default 1000) before answering normally;
 * - `malformed`: a body that is not JSON; `html`: an HTML page (a proxy's or a login page; `status` default 200);
 *   `wrong-shape`: JSON of the wrong shape;
 * - `oversized`: a JSON body of `bytes` bytes (default 11 MiB);
 * - `truncated`: announce a longer body than is sent, then close;
 * - `redirect`: answer 302 to `location`;
 * - `unknown-status`: report the task with the status word `word`;
 * - `hint`: answer normally, with the `retryAfter` / `retryAfterMs` headers added.
 */
export interface FaultSpec {
  /** What goes wrong (see the list above). */
  readonly kind:
    | 'status'
    | 'reset'
    | 'slow'
    | 'malformed'
    | 'html'
    | 'wrong-shape'
    | 'oversized'
    | 'truncated'
    | 'redirect'
    | 'unknown-status'
    | 'hint';
  /** Only requests about this task. @default every request except the control API */
  readonly taskId?: string;
  /** Only requests with this method. */
  readonly method?: string;
  /** Only requests to this path (e.g. an Evo job's result path, without `/status`). */
  readonly path?: string;
  /** How many matching requests it hits. @default 1 */
  readonly times?: number;
  /** How many matching requests it lets through untouched first (e.g. 1: hit the second read). @default 0 */
  readonly skip?: number;
  /** The chance that a matching request is hit (with `times` left). @default 1 */
  readonly probability?: number;
  /** For `status` (default 503) and `html` (default 200): the HTTP status to answer with. */
  readonly status?: number;
  /** The Retry-After header: seconds (`"2"`) or an HTTP date. */
  readonly retryAfter?: string;
  /** The retry-after-ms header. */
  readonly retryAfterMs?: number;
  /** For `slow`: how long the answer is held back, in milliseconds. @default 1000 */
  readonly delayMs?: number;
  /** For `oversized`: how many bytes the body has. @default 11 MiB */
  readonly bytes?: number;
  /** For `redirect`: where the `Location` header points. @default another host, `http://127.0.0.2:1/elsewhere` */
  readonly location?: string;
  /** For `unknown-status`: the status word the task reports. */
  readonly word?: string;
}

/** A request the simulator received. Header values are recorded as `[redacted]`, but for harmless headers (accept, content-type, user-agent, …). */
export interface SeenRequest {
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The URL's path, without the query. */
  readonly path: string;
  /** Milliseconds since the server started. */
  readonly time: number;
  /** The request's headers, names in lower case; every value `[redacted]` but a harmless header's, by the rule of poll-task/http. */
  readonly headers: Readonly<Record<string, string>>;
  /** The task the request was about, if any. */
  readonly taskId?: string;
  /** The service whose path the request used, if any. */
  readonly dialect?: SimDialect;
  /** The fault injected into it, if any. */
  readonly fault?: FaultSpec['kind'];
}

/** Options of {@link startTaskServer}. */
export interface TaskServerOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** The random source for faults with a probability. @default Math.random */
  readonly random?: () => number;
  /**
   * Files to serve as they are, by path (`/index.html`): a test page and its script, so a browser test can load
   * them from the simulator's own origin.
   */
  readonly files?: Readonly<Record<string, { readonly type: string; readonly body: string | Uint8Array }>>;
}

/** A running simulator. */
export interface TaskServer {
  /** The server's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Creates a task speaking `dialect`. */
  create(dialect: SimDialect, spec?: SimTaskSpec): SimTask;
  /** Every request received so far, in order (a live array). */
  readonly requests: readonly SeenRequest[];
  /** Injects a fault into the next matching requests. */
  fault(spec: FaultSpec): void;
  /** Whether the task was asked to cancel. */
  cancelRequested(taskId: string): boolean;
  /** Stops the server, closing every connection. */
  close(): Promise<void>;
}

interface Task {
  readonly spec: SimTaskSpec;
  readonly id: string;
  readonly dialect: SimDialect;
  readonly createdAt: number;
  statusReads: number;
  cancelAt?: number; // the statusReads count when the cancel arrived
  endedAt?: number;
}

type State =
  | { kind: 'running'; fraction: number }
  | { kind: 'canceling' }
  | { kind: 'succeeded' | 'failed' | 'canceled' }
  | { kind: 'expired' };

const cors: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': 'location, retry-after, retry-after-ms',
};

const ids = {
  org: '3a1f0c52-9a0e-4f6b-8d2c-1b7e5f0a9c11',
  workspace: 'ws-1',
  farm: 'farm-0123456789abcdef0123456789abcdef',
  queue: 'queue-0123456789abcdef0123456789abcdef',
  job: 'job-0123456789abcdef0123456789abcdef',
  step: 'step-0123456789abcdef0123456789abcdef',
};

/** Where each dialect's tasks live: a path pattern whose first group is the task id. */
const routes: ReadonlyArray<{ dialect: SimDialect; pattern: RegExp }> = [
  { dialect: 'benchling', pattern: /^\/api\/v2\/tasks\/([^/]+)$/ },
  { dialect: 'affinity', pattern: /^\/v2\/tasks\/(?:company|person)-merges\/([^/]+)$/ },
  { dialect: 'evo', pattern: /^\/compute\/orgs\/[^/]+\/[^/]+\/[^/]+\/([^/]+)(\/status)?$/ },
  { dialect: 'deepint', pattern: /^\/api\/v1\/workspace\/[^/]+\/task\/([^/]+)$/ },
  { dialect: 'deadline', pattern: /^\/2023-10-12\/farms\/[^/]+\/queues\/[^/]+\/jobs\/[^/]+\/steps\/[^/]+\/tasks\/([^/]+)$/ },
];

/**
 * Starts the task simulator: a real `node:http` server on `host:port` (default 127.0.0.1, a free port) that
 * speaks the task APIs of Benchling, Affinity, Seequent Evo, Deep Intelligence and AWS Deadline Cloud under
 * their own paths, plus a JSON control API for other processes:
 *
 * - `POST /_sim/tasks` with `{ dialect, ...spec }` creates a task and answers `{ id, url, ids }`;
 * - `POST /_sim/faults` with a {@link FaultSpec} injects a fault;
 * - `GET /_sim/requests` lists the requests received;
 * - `GET /_sim/stats` counts them, the connections opened and the tasks held.
 *
 * Every request is recorded (header values redacted, but harmless ones) so tests can assert how many were sent and when.
 * Every answer allows any origin (CORS), so a page elsewhere can use it; `files` serves a test page from it.
 * `close()` frees the port and every socket.
 *
 * @example
 * const sim = await startTaskServer();
 * const task = sim.create('evo', { reads: 3, result: { rows: 3 } });
 * const result = await waitForResult(evoJob({ url: task.url }), { strategy: withInterval(0) });
 * await sim.close();
 */
export async function startTaskServer(options: TaskServerOptions = {}): Promise<TaskServer> {
  const { port = 0, host = '127.0.0.1', random = defaultRandom, files = {} } = options;
  for (const [path, file] of Object.entries(files)) {
    if (!path.startsWith('/') || path.startsWith('/_sim/') || routes.some((route) => route.pattern.test(path))) {
      throw new TypeError(`startTaskServer: cannot serve a file at ${JSON.stringify(path)}; give a path starting with "/" that is neither /_sim/… nor a task route, e.g. "/index.html".`);
    }
    if (typeof file?.type !== 'string' || (typeof file.body !== 'string' && !(file.body instanceof Uint8Array))) {
      throw new TypeError(`startTaskServer: the file ${path} needs a content type and a body, e.g. { type: 'text/html', body: '<!doctype html>…' }.`);
    }
  }
  const tasks = new Map<string, Task>();
  const requests: SeenRequest[] = [];
  const faults: Array<FaultSpec & { left: number; toSkip: number }> = [];
  const sockets = new Set<Socket>();
  const startedAt = monotonic();
  let counter = 0;
  let connectionsOpened = 0;
  let base = '';

  const create = (dialect: SimDialect, spec: SimTaskSpec = {}): SimTask => {
    if (!SIM_DIALECTS.includes(dialect)) {
      throw new TypeError(`startTaskServer: unknown dialect ${JSON.stringify(dialect)}; the simulator speaks ${SIM_DIALECTS.join(', ')}.`);
    }
    const id = spec.id ?? `task-${++counter}`;
    if (tasks.has(id)) throw new TypeError(`startTaskServer: a task with id "${id}" exists already.`);
    tasks.set(id, { spec, id, dialect, createdAt: monotonic(), statusReads: 0 });
    return describe(id, dialect);
  };

  const describe = (id: string, dialect: SimDialect): SimTask => {
    const task = encodeURIComponent(id);
    switch (dialect) {
      case 'benchling':
        return { id, dialect, url: `${base}/api/v2/tasks/${task}`, ids: { baseUrl: base, taskId: id } };
      case 'affinity':
        return { id, dialect, url: `${base}/v2/tasks/company-merges/${task}`, ids: { baseUrl: `${base}/v2/`, taskUrl: `${base}/v2/tasks/company-merges/${task}` } };
      case 'evo': {
        const url = `${base}/compute/orgs/${ids.org}/geostatistics/kriging/${task}/status`;
        return { id, dialect, url, ids: { url } };
      }
      case 'deepint':
        return {
          id,
          dialect,
          url: `${base}/api/v1/workspace/${ids.workspace}/task/${task}`,
          ids: { baseUrl: base, organizationId: ids.org, workspaceId: ids.workspace, taskId: id },
        };
      case 'deadline':
        return {
          id,
          dialect,
          url: `${base}/2023-10-12/farms/${ids.farm}/queues/${ids.queue}/jobs/${ids.job}/steps/${ids.step}/tasks/${task}`,
          ids: { endpoint: base, farmId: ids.farm, queueId: ids.queue, jobId: ids.job, stepId: ids.step, taskId: id },
        };
    }
  };

  const stateOf = (task: Task, now: number): State => {
    const { spec } = task;
    if (task.endedAt !== undefined && spec.resultExpiresAfterMs !== undefined && now - task.endedAt >= spec.resultExpiresAfterMs) {
      return { kind: 'expired' };
    }
    if (task.cancelAt !== undefined) {
      // One read reports the cancel being carried out, the next one the task canceled.
      return task.statusReads - task.cancelAt <= 1 ? { kind: 'canceling' } : { kind: 'canceled' };
    }
    // With `reads: n`, reads 1 … n-1 report the task running (the first one at 0 %), read n its outcome.
    const fraction =
      spec.reads !== undefined
        ? task.statusReads >= spec.reads
          ? 1
          : (task.statusReads - 1) / (spec.reads - 1)
        : Math.min(1, (now - task.createdAt) / (spec.durationMs ?? 100));
    if (fraction < 1) return { kind: 'running', fraction };
    task.endedAt ??= now;
    return { kind: spec.outcome ?? 'succeeded' };
  };

  const percent = (task: Task, fraction: number): number | undefined => {
    switch (task.spec.progress ?? 'linear') {
      case 'none':
        return undefined;
      case 'steps':
        return Math.floor(fraction * 4) * 25;
      default:
        return Math.floor(fraction * 100);
    }
  };

  const subtaskOf = (task: Task, fraction: number): string | undefined => {
    const names = task.spec.subtasks;
    if (names === undefined || names.length === 0) return undefined;
    return names[Math.min(names.length - 1, Math.floor(fraction * names.length))];
  };

  const resultOf = (task: Task): unknown => task.spec.result ?? { taskId: task.id, output: `result of ${task.id}` };
  const failureOf = (task: Task) => ({ code: task.spec.failure?.code ?? 'SIM_FAILURE', message: task.spec.failure?.message ?? 'The simulated task failed.' });

  /** The status body of `task` in its dialect's words; `word` replaces the status word (unknown-status fault). */
  const statusBody = (task: Task, state: State, word?: string): Record<string, unknown> => {
    const fraction = state.kind === 'running' ? state.fraction : 1;
    const pct = state.kind === 'running' ? percent(task, fraction) : undefined;
    const subtask = state.kind === 'running' ? subtaskOf(task, fraction) : undefined;
    const failure = failureOf(task);
    // A task read first, before it made progress, reports it accepted but not started (pending, requested, READY).
    const first = state.kind === 'running' && task.statusReads <= 1 && fraction < 0.01;
    let body: Record<string, unknown>;
    switch (task.dialect) {
      case 'benchling':
        body =
          state.kind === 'succeeded'
            ? { status: 'SUCCEEDED', response: resultOf(task) }
            : state.kind === 'running'
              ? { status: 'RUNNING' }
              : { status: 'FAILED', message: state.kind === 'failed' ? failure.message : 'The task was canceled.', errors: [{ message: failure.message, code: failure.code }] };
        break;
      case 'affinity': {
        const total = 10;
        const done = Math.floor(fraction * total);
        const kind = state.kind === 'running' ? (first ? 'pending' : 'in-progress') : state.kind === 'succeeded' ? 'success' : 'failed';
        body = { id: task.id, status: kind, resultsSummary: { total, success: done, failed: 0, inProgress: total - done } };
        break;
      }
      case 'evo': {
        const words = { running: first ? 'requested' : 'in progress', canceling: 'cancelling', succeeded: 'succeeded', failed: 'failed', canceled: 'cancelled' } as const;
        body = {
          status: words[state.kind as keyof typeof words],
          progress: pct ?? (state.kind === 'running' ? null : 100),
          message: subtask ?? (state.kind === 'running' ? 'Working' : null),
          ...(state.kind === 'failed' ? { error: { status: 500, type: failure.code, title: 'Job failed', detail: failure.message } } : {}),
        };
        break;
      }
      case 'deepint':
        body = {
          id: task.id,
          name: `Simulated task ${task.id}`,
          status: state.kind === 'running' ? (first ? 'pending' : 'running') : state.kind === 'succeeded' ? 'success' : 'failed',
          progress: pct ?? (state.kind === 'running' ? 0 : 100),
          subtask: subtask ?? '',
          duration: Math.round(monotonic() - task.createdAt),
          ...(state.kind === 'succeeded' ? { result: `src-${task.id}`, result_type: 'source' } : {}),
          ...(state.kind === 'failed' || state.kind === 'canceled' ? { error_code: failure.code, error_description: failure.message } : {}),
        };
        break;
      case 'deadline': {
        const words = { running: first ? 'READY' : 'RUNNING', canceling: 'INTERRUPTING', succeeded: 'SUCCEEDED', failed: 'FAILED', canceled: 'CANCELED' } as const;
        body = {
          taskId: task.id,
          runStatus: words[state.kind as keyof typeof words],
          createdAt: new Date(wallClock() - Math.round(monotonic() - task.createdAt)).toISOString(),
          createdBy: 'simulator',
          ...(state.kind === 'failed' ? { failureRetryCount: 2 } : {}),
          ...(task.cancelAt !== undefined ? { targetRunStatus: 'CANCELED' } : {}),
        };
        break;
      }
    }
    if (word !== undefined) body[task.dialect === 'deadline' ? 'runStatus' : 'status'] = word;
    return body;
  };

  const hints = (fault: FaultSpec | undefined): Record<string, string> => ({
    ...(fault?.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
    ...(fault?.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(fault.retryAfterMs) }),
  });

  // Headers added to every answer of the current request (the `hint` fault).
  let extraHeaders: Record<string, string> = {};
  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extraHeaders, ...headers });
    response.end(text);
  };

  const takeFault = (method: string, path: string, taskId: string | undefined): FaultSpec | undefined => {
    // Each matching fault in turn rolls its own probability, so several random faults can share the traffic.
    for (let index = 0; index < faults.length; index++) {
      const fault = faults[index]!;
      const matches =
        fault.left > 0 &&
        (fault.taskId === undefined || fault.taskId === taskId) &&
        (fault.path === undefined || fault.path === path) &&
        (fault.method === undefined || fault.method.toUpperCase() === method);
      if (!matches) continue;
      if (fault.toSkip > 0) {
        fault.toSkip--;
        continue;
      }
      if (fault.probability !== undefined && random() >= fault.probability) continue;
      fault.left--;
      if (fault.left <= 0) faults.splice(index, 1);
      return fault;
    }
    return undefined;
  };

  /** Answers with `fault`; returns false when the request should then be answered normally (slow). */
  const inject = async (fault: FaultSpec, request: IncomingMessage, response: ServerResponse, task: Task | undefined): Promise<boolean> => {
    switch (fault.kind) {
      case 'status':
        json(response, fault.status ?? 503, { message: `Injected ${fault.status ?? 503}` }, hints(fault));
        return true;
      case 'hint':
        return false;
      case 'reset':
        request.socket.destroy();
        return true;
      case 'slow':
        await sleep(fault.delayMs ?? 1000);
        return false;
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status": "RUNN');
        return true;
      case 'html':
        response.writeHead(fault.status ?? 200, { 'content-type': 'text/html' });
        response.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return true;
      case 'wrong-shape':
        json(response, 200, { unexpected: true, items: [] });
        return true;
      case 'oversized': {
        const size = fault.bytes ?? 11 * 1024 * 1024;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(`{"padding":"${'x'.repeat(Math.max(0, size - 14))}"}`);
        return true;
      }
      case 'truncated':
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        response.write('{"status": "RUNNING", "padding": "');
        setImmediate(() => request.socket.destroy());
        return true;
      case 'redirect':
        response.writeHead(302, { location: fault.location ?? 'http://127.0.0.2:1/elsewhere' });
        response.end();
        return true;
      case 'unknown-status':
        if (task === undefined) return false;
        task.statusReads++;
        json(response, 200, statusBody(task, stateOf(task, monotonic()), fault.word ?? 'FROZEN'));
        return true;
    }
  };

  const control = (method: string, path: string, text: string, response: ServerResponse): void => {
    try {
      if (method === 'POST' && path === '/_sim/tasks') {
        const { dialect, ...spec } = JSON.parse(text || '{}') as SimTaskSpec & { dialect: SimDialect };
        json(response, 201, create(dialect, spec));
      } else if (method === 'POST' && path === '/_sim/faults') {
        server.fault(JSON.parse(text || '{}') as FaultSpec);
        json(response, 201, { ok: true });
      } else if (method === 'GET' && path === '/_sim/requests') {
        json(response, 200, requests);
      } else if (method === 'GET' && path === '/_sim/stats') {
        json(response, 200, { requests: requests.length, connections: connectionsOpened, tasks: tasks.size });
      } else {
        json(response, 404, { message: `No control route ${method} ${path}; use POST /_sim/tasks, POST /_sim/faults, GET /_sim/requests or GET /_sim/stats.` });
      }
    } catch (error) {
      json(response, 400, { message: error instanceof Error ? error.message : String(error) });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, text: string): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const path = new URL(request.url ?? '/', 'http://sim').pathname;
    // Pages on other origins may call it from a browser: answer CORS preflights, allow every origin.
    for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
    if (method === 'OPTIONS') {
      response.writeHead(204);
      response.end();
      return;
    }
    const file = method === 'GET' ? files[path] : undefined;
    if (file !== undefined) {
      response.writeHead(200, { 'content-type': file.type });
      response.end(file.body);
      return;
    }
    // By the transport's rule: every value but a harmless header's (accept, content-type, …) is a secret.
    const headers = loggedHeaders(request.headers);
    if (path.startsWith('/_sim/')) {
      control(method, path, text, response);
      return;
    }
    const route = routes.find((candidate) => candidate.pattern.test(path));
    const match = route?.pattern.exec(path);
    const taskId = match ? decodeURIComponent(match[1]!) : undefined;
    const task = taskId === undefined ? undefined : tasks.get(taskId);
    const submit = method === 'POST' && /^\/compute\/orgs\/[^/]+\/[^/]+\/[^/]+$/.test(path);
    const fault = takeFault(method, path, taskId);
    requests.push({
      method,
      path,
      time: monotonic() - startedAt,
      headers,
      ...(taskId === undefined ? {} : { taskId }),
      ...(route === undefined ? {} : { dialect: route.dialect }),
      ...(fault === undefined ? {} : { fault: fault.kind }),
    });
    if (fault !== undefined && (await inject(fault, request, response, task))) return;
    extraHeaders = fault?.kind === 'hint' ? hints(fault) : {};

    if (submit) {
      const parameters = (JSON.parse(text || '{}') as { parameters?: { simulate?: SimTaskSpec } }).parameters;
      const created = create('evo', parameters?.simulate ?? {});
      json(response, 202, { message: 'Job requested' }, { location: `${path}/${encodeURIComponent(created.id)}/status` });
      return;
    }
    if (route === undefined || task === undefined || task.dialect !== route.dialect) {
      json(response, 404, { message: `No such task: ${taskId ?? path}` });
      return;
    }
    if (task.dialect === 'deepint' && request.headers['x-deepint-organization'] === undefined) {
      json(response, 400, { code: 'MISSING_ORGANIZATION', message: 'The x-deepint-organization header is required.' });
      return;
    }
    const isStatus = task.dialect !== 'evo' || match?.[2] === '/status';
    if (method === 'GET' && isStatus) {
      task.statusReads++;
      const state = stateOf(task, monotonic());
      if (state.kind === 'expired') json(response, 404, { message: `Task ${task.id} has expired.` });
      else json(response, 200, statusBody(task, state));
      return;
    }
    if (method === 'GET' && task.dialect === 'evo') {
      const state = stateOf(task, monotonic());
      if (state.kind === 'succeeded') json(response, 200, { status: 'succeeded', results: resultOf(task) });
      else if (state.kind === 'failed') json(response, 200, { status: 'failed', error: statusBody(task, state).error });
      else json(response, 202, statusBody(task, state));
      return;
    }
    const cancels = (task.dialect === 'evo' && method === 'DELETE') || (task.dialect === 'deadline' && method === 'PATCH');
    if (cancels) {
      const target = task.dialect === 'deadline' ? (JSON.parse(text || '{}') as { targetRunStatus?: string }).targetRunStatus : 'CANCELED';
      if (target !== 'CANCELED') {
        json(response, 400, { message: 'The simulator only takes targetRunStatus CANCELED.' });
        return;
      }
      const state = stateOf(task, monotonic());
      if (state.kind === 'running' && task.cancelAt === undefined) task.cancelAt = task.statusReads;
      if (task.dialect === 'evo') {
        response.writeHead(204);
        response.end();
      } else {
        json(response, 200, {});
      }
      return;
    }
    json(response, 405, { message: `${method} is not supported here by ${task.dialect}.` });
  };

  const httpServer = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      handle(request, response, text).catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { message: String(error) });
        else response.destroy();
      });
    });
  });
  httpServer.on('connection', (socket) => {
    connectionsOpened++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const server: TaskServer = {
    url: base,
    create,
    requests,
    fault(spec) {
      if (typeof spec !== 'object' || spec === null || typeof spec.kind !== 'string') {
        throw new TypeError('startTaskServer: a fault needs a kind, e.g. { kind: "status", status: 503 }.');
      }
      faults.push({ ...spec, left: spec.times ?? 1, toSkip: spec.skip ?? 0 });
    },
    cancelRequested: (taskId) => tasks.get(taskId)?.cancelAt !== undefined,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        httpServer.closeAllConnections();
        httpServer.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return server;
}
