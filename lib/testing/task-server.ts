import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultRandom, monotonic, sleep, wallClock } from '../core/clock.js';
import { loggedHeaders } from '../util/redact.js';
import { checkFunction, checkNumber, checkOptions, optionNamesOf, show } from '../util/options.js';
import { checkFaultSpec, checkTaskSpec } from './check-specs.js';
import { hostNameOf, hostOf, isInterfaceAddress, isLoopbackHost, isWildcardHost } from './control-hosts.js';
import { wires, type SimAnswer, type SimPhase, type SimStatus } from './wire/index.js';

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
 * `fault()` and `POST /_sim/faults` check every field first and refuse a bad one, naming it (a header value
 * with CR or LF in it, a status outside 200–599, a negative delay…), so a fault never breaks the server.
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
  /** How many matching requests it hits: a whole number from 1, or Infinity. @default 1 */
  readonly times?: number;
  /** How many matching requests it lets through untouched first (e.g. 1: hit the second read). @default 0 */
  readonly skip?: number;
  /** The chance that a matching request is hit (with `times` left), from 0 to 1. @default 1 */
  readonly probability?: number;
  /** For `status` (default 503) and `html` (default 200): the HTTP status to answer with, from 200 to 599. */
  readonly status?: number;
  /** The Retry-After header: seconds (`"2"`) or an HTTP date (any header value: no CR, LF or NUL). */
  readonly retryAfter?: string;
  /** The retry-after-ms header: any finite number, negative and fractional ones included (hints a client must survive). */
  readonly retryAfterMs?: number;
  /** For `slow`: how long the answer is held back, in milliseconds. @default 1000 */
  readonly delayMs?: number;
  /** For `oversized`: how many bytes the body has, up to 64 MiB. @default 11 MiB */
  readonly bytes?: number;
  /** For `redirect`: where the `Location` header points. @default another host, `http://127.0.0.2:1/elsewhere` */
  readonly location?: string;
  /** For `unknown-status`: the status word the task reports. */
  readonly word?: string;
}

/**
 * A request the simulator received. Header values are recorded as `[redacted]`, but for harmless headers
 * (accept, content-type, user-agent, …). The control API's own requests and requests refused for their size
 * (413) are not recorded.
 */
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
  /**
   * Host names (or addresses) besides the loopback ones (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`) and
   * the one the server listens on, under which the control API answers: e.g. `['sim']`, the simulator's service
   * name in a docker-compose file. Any other Host is refused with 403 (DNS rebinding).
   * @default []
   */
  readonly allowedHosts?: readonly string[];
  /** How many requests the log keeps (`requests`, `GET /_sim/requests`): the last ones; `Infinity` keeps all. @default 1000 */
  readonly requestLogSize?: number;
  /**
   * How long every task-API answer is held back, in milliseconds: a real service's response time, so that
   * requests overlap on the server as they do in production and a client's request budget shows in
   * `stats().mostInFlight`. Faults come on top of it. Not for the control API or `files`.
   * @default 0
   */
  readonly latencyMs?: number;
  /** The largest request body kept, in bytes; a larger one is answered 413 and thrown away as it arrives. @default 1048576 (1 MiB) */
  readonly maxBodyBytes?: number;
  /**
   * How many tasks the simulator holds: creating one more forgets the oldest, whose URL then answers 404 as an
   * expired task does. With `maxBodyBytes`, it bounds what any client (a web page too: the task API allows any
   * origin) can make the simulator hold. `Infinity` keeps all.
   * @default 10000
   */
  readonly maxTasks?: number;
}

const optionNames = optionNamesOf<TaskServerOptions>()({
  port: true,
  host: true,
  random: true,
  files: true,
  allowedHosts: true,
  requestLogSize: true,
  latencyMs: true,
  maxBodyBytes: true,
  maxTasks: true,
});

/** What a simulator has counted since it started: {@link TaskServer.stats}, and `GET /_sim/stats`. */
export interface TaskServerStats {
  /** The task-API requests received, all of them (not only those still in the log). */
  readonly requests: number;
  /** The connections opened (to check keep-alive). */
  readonly connections: number;
  /** The tasks held now. */
  readonly tasks: number;
  /**
   * The task-API requests being answered now, each counted from its arrival (its body read) until its answer
   * is sent or its connection closes. A request still waiting in the client (queued, or connecting) does not
   * count.
   */
  readonly inFlight: number;
  /** The most there were in flight at the same time so far: a client's request budget, seen from the server. */
  readonly mostInFlight: number;
}

/** A running simulator. */
export interface TaskServer {
  /** The server's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Creates a task speaking `dialect`. */
  create(dialect: SimDialect, spec?: SimTaskSpec): SimTask;
  /** The last `requestLogSize` (default 1000) requests received, oldest first (a live array). */
  readonly requests: readonly SeenRequest[];
  /** What it has counted so far: requests, connections, tasks held, the most requests answered at once. */
  stats(): TaskServerStats;
  /** Injects a fault into the next matching requests; throws a TypeError naming the field when `spec` has a bad one. */
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

/** The dialect whose task route `path` is, and the route's match, if any (each dialect's wire in lib/testing/wire/). */
function routeOf(path: string): { dialect: SimDialect; match: RegExpExecArray } | undefined {
  for (const dialect of SIM_DIALECTS) {
    const match = wires[dialect].route.exec(path);
    if (match !== null) return { dialect, match };
  }
  return undefined;
}

const ignore = (): void => undefined;

/** The path of a request target, or undefined when it has none (`new URL` refuses it). */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://sim').pathname;
  } catch {
    return undefined;
  }
}

/** A path segment decoded, or as it is when its escapes are broken (`%E0%A4%A`). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A request body as JSON (an empty body as `{}`); throws a SyntaxError when it is not JSON. */
function parsed(text: string): unknown {
  return JSON.parse(text || '{}') as unknown;
}

/**
 * Starts the task simulator: a real `node:http` server on `host:port` (default 127.0.0.1, a free port) that
 * speaks the task APIs of Benchling, Affinity, Seequent Evo, Deep Intelligence and AWS Deadline Cloud under
 * their own paths, plus a JSON control API for other processes:
 *
 * - `POST /_sim/tasks` with `{ dialect, ...spec }` creates a task and answers `{ id, url, ids }`;
 * - `POST /_sim/faults` with a {@link FaultSpec} injects a fault;
 * - `GET /_sim/requests` lists the requests received;
 * - `GET /_sim/stats` counts them, the connections opened, the tasks held and the most requests answered at
 *   once (as `stats()` does in process).
 *
 * Every request is recorded (header values redacted, but harmless ones; the last `requestLogSize`, default 1000) so tests can
 * assert how many were sent and when. The task API and `files` allow any origin (CORS), so a page elsewhere can
 * poll; `files` serves a test page from it. The control API does not: it answers no preflight, takes
 * `content-type: application/json` only on a POST (415 otherwise), and only under a loopback Host, the one it
 * listens on or one of `allowedHosts` (403 otherwise), so no web page can reconfigure it or read its log. A
 * request body over `maxBodyBytes` (default 1 MiB) is answered 413; a bad spec 400 with the field it names; a
 * request that fails inside 500: the server keeps serving. `close()` frees the port and every socket.
 *
 * @example
 * const sim = await startTaskServer();
 * const task = sim.create('evo', { reads: 3, result: { rows: 3 } });
 * const result = await waitForResult(evoJob({ url: task.url }), { strategy: withInterval(0) });
 * await sim.close();
 */
export async function startTaskServer(options: TaskServerOptions = {}): Promise<TaskServer> {
  const fn = 'startTaskServer';
  checkOptions(fn, options, optionNames);
  const port = checkNumber(fn, 'port', options.port, 0, { max: 65535, integer: true });
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string') throw new TypeError(`${fn}: option "host" must be an address or host name, e.g. "127.0.0.1", but was ${show(host)}.`);
  const random = checkFunction(fn, 'random', options.random, defaultRandom);
  const requestLogSize = checkNumber(fn, 'requestLogSize', options.requestLogSize, 1000, { integer: true, allowInfinity: true });
  const latencyMs = checkNumber(fn, 'latencyMs', options.latencyMs, 0, { max: Number.MAX_SAFE_INTEGER });
  const maxBodyBytes = checkNumber(fn, 'maxBodyBytes', options.maxBodyBytes, 1024 * 1024, { max: Number.MAX_SAFE_INTEGER, integer: true });
  const maxTasks = checkNumber(fn, 'maxTasks', options.maxTasks, 10_000, { min: 1, integer: true, allowInfinity: true });
  const allowedHosts = new Set<string>();
  if (options.allowedHosts !== undefined && !Array.isArray(options.allowedHosts)) {
    throw new TypeError(`${fn}: option "allowedHosts" must be an array of host names, e.g. ["sim"], but was ${show(options.allowedHosts)}.`);
  }
  for (const name of options.allowedHosts ?? []) {
    const allowed = hostNameOf(name);
    if (allowed === undefined) {
      throw new TypeError(`${fn}: option "allowedHosts" takes host names or addresses without a port, e.g. "sim" or "[fe80::1]", but had ${show(name)}.`);
    }
    allowedHosts.add(allowed);
  }
  const { files = {} } = options;
  for (const [path, file] of Object.entries(files)) {
    if (!path.startsWith('/') || path.startsWith('/_sim/') || routeOf(path) !== undefined) {
      throw new TypeError(`startTaskServer: cannot serve a file at ${JSON.stringify(path)}; give a path starting with "/" that is neither /_sim/… nor a task route, e.g. "/index.html".`);
    }
    if (typeof file?.type !== 'string' || (typeof file.body !== 'string' && !(file.body instanceof Uint8Array))) {
      throw new TypeError(`startTaskServer: the file ${path} needs a content type and a body, e.g. { type: 'text/html', body: '<!doctype html>…' }.`);
    }
  }
  const tasks = new Map<string, Task>();
  const requests: SeenRequest[] = [];
  let received = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const faults: Array<FaultSpec & { left: number; toSkip: number }> = [];
  const sockets = new Set<Socket>();
  const startedAt = monotonic();
  let counter = 0;
  let connectionsOpened = 0;
  let base = '';
  // The address it listens on, as a Host header names it (hostOf).
  let boundHost = '';
  const stats = (): TaskServerStats => ({ requests: received, connections: connectionsOpened, tasks: tasks.size, inFlight, mostInFlight });

  const create = (dialect: SimDialect, spec: SimTaskSpec = {}): SimTask => {
    if (!SIM_DIALECTS.includes(dialect)) {
      throw new TypeError(`startTaskServer: unknown dialect ${show(dialect)}; the simulator speaks ${SIM_DIALECTS.join(', ')}.`);
    }
    checkTaskSpec(spec);
    const id = spec.id ?? `task-${++counter}`;
    if (tasks.has(id)) throw new TypeError(`startTaskServer: a task with id "${id}" exists already.`);
    tasks.set(id, { spec, id, dialect, createdAt: monotonic(), statusReads: 0 });
    // A Map iterates in the order of creation: the first key is the oldest task.
    if (tasks.size > maxTasks) tasks.delete(tasks.keys().next().value!);
    return describe(id, dialect);
  };

  const describe = (id: string, dialect: SimDialect): SimTask => ({ id, dialect, ...wires[dialect].locate(base, id) });

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

  /** `task` at this read, in `state`, as its wire writes it; `word` replaces the status word (unknown-status fault). */
  const statusOf = (task: Task, state: State, word?: string): SimStatus => {
    const running = state.kind === 'running';
    const fraction = running ? state.fraction : 1;
    // A task read first, before it made progress, reports it accepted but not started (pending, requested, READY).
    const phase: SimPhase | 'expired' = running ? (task.statusReads <= 1 && fraction < 0.01 ? 'pending' : 'running') : state.kind;
    return {
      id: task.id,
      phase,
      word: word ?? (phase === 'expired' ? undefined : wires[task.dialect].words[phase]),
      fraction,
      percent: running ? percent(task, fraction) : undefined,
      subtask: running ? subtaskOf(task, fraction) : undefined,
      result: phase === 'succeeded' ? resultOf(task) : undefined,
      failure: failureOf(task),
      ageMs: monotonic() - task.createdAt,
      wallClockMs: wallClock(),
      cancelRequested: task.cancelAt !== undefined,
    };
  };

  /** The status body of `task` in its dialect's words; `word` replaces the status word (unknown-status fault). */
  const statusBody = (task: Task, state: State, word?: string): Record<string, unknown> => wires[task.dialect].statusBody(statusOf(task, state, word));

  const hints = (fault: FaultSpec | undefined): Record<string, string> => ({
    ...(fault?.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
    ...(fault?.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(fault.retryAfterMs) }),
  });

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    response.end(text);
  };

  /** Sends a wire's answer: its JSON body, or a bare status when it has none. */
  const answer = (response: ServerResponse, { status, body, headers = {} }: SimAnswer): void => {
    if (body !== undefined) {
      json(response, status, body, headers);
      return;
    }
    response.writeHead(status, headers);
    response.end();
  };

  /** Answers 500 to a request whose handling threw, or cuts the connection when the answer had begun. */
  const fail = (response: ServerResponse, error: unknown): void => {
    try {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const reason = error instanceof Error ? error.message : 'an unknown error';
      json(response, 500, { message: `The simulator could not answer this request: ${reason}` });
    } catch {
      response.destroy();
    }
  };

  /**
   * Answers a request whose body it will not keep: the whole answer goes out at once, and ends when the body has
   * arrived, thrown away as it comes (nothing of it is kept). Ended earlier, the answer would close a connection
   * the client said to close under the client still sending: reset, it might never read the answer.
   */
  const answerUnread = (request: IncomingMessage, response: ServerResponse, status: number, message: string): void => {
    const text = JSON.stringify({ message });
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.write(text);
    if (request.readableEnded) response.end();
    else request.on('end', () => response.end()).resume();
  };

  const tooLarge = (request: IncomingMessage, response: ServerResponse): void =>
    answerUnread(request, response, 413, `The request body is over ${maxBodyBytes} bytes, the simulator's maxBodyBytes; send a smaller one.`);

  /** Whether the Host header names this machine's loopback, the address the server listens on, or an allowed host. */
  const hostAllowed = (header: string | undefined): boolean => {
    const name = hostOf(header);
    if (name === undefined) return false;
    if (isLoopbackHost(name) || allowedHosts.has(name)) return true;
    // Bound to every interface, the machine's own addresses reach it; an IP address cannot be rebound.
    return isWildcardHost(boundHost) ? isInterfaceAddress(name) : name === boundHost;
  };

  /** Why the control API refuses a request, from its headers alone (before its body is read), if it does. */
  const controlRefusal = (request: IncomingMessage, method: string): { status: number; message: string } | undefined => {
    const host = request.headers.host;
    if (!hostAllowed(host)) {
      return {
        status: 403,
        message: `The control API answers only requests addressed to localhost, a loopback address, the simulator's own address or a name in allowedHosts; this one ${host === undefined ? 'had no Host header' : `was addressed to ${show(host)}`}.`,
      };
    }
    if (method === 'OPTIONS') return { status: 403, message: 'The control API takes no requests from pages on other origins; call it from a program, or from a page the simulator serves.' };
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (method !== 'GET' && method !== 'HEAD' && type !== 'application/json') {
      return { status: 415, message: `The control API takes JSON only; send the body with content-type: application/json, not ${show(request.headers['content-type'] ?? 'none')}.` };
    }
    return undefined;
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
        const body = parsed(text);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new TypeError(`startTaskServer: a task is created from a JSON object, e.g. { "dialect": "evo", "reads": 3 }, not ${show(body)}.`);
        }
        const { dialect, ...spec } = body as SimTaskSpec & { dialect: SimDialect };
        json(response, 201, create(dialect, spec));
      } else if (method === 'POST' && path === '/_sim/faults') {
        server.fault(parsed(text) as FaultSpec);
        json(response, 201, { ok: true });
      } else if (method === 'GET' && path === '/_sim/requests') {
        json(response, 200, requests);
      } else if (method === 'GET' && path === '/_sim/stats') {
        json(response, 200, stats());
      } else {
        json(response, 404, { message: `No control route ${method} ${path}; use POST /_sim/tasks, POST /_sim/faults, GET /_sim/requests or GET /_sim/stats.` });
      }
    } catch (error) {
      // A bad body or spec; anything else is the simulator's own failure (500).
      if (!(error instanceof TypeError || error instanceof SyntaxError)) throw error;
      json(response, 400, { message: error.message });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, method: string, path: string, text: string): Promise<void> => {
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
    if (path.startsWith('/_sim/')) {
      control(method, path, text, response);
      return;
    }
    // By the transport's rule: every value but a harmless header's (accept, content-type, …) is a secret.
    const headers = loggedHeaders(request.headers);
    const route = routeOf(path);
    const taskId = route === undefined ? undefined : decoded(route.match[1]!);
    const task = taskId === undefined ? undefined : tasks.get(taskId);
    const submitter = method === 'POST' ? SIM_DIALECTS.find((dialect) => wires[dialect].submit?.route.test(path) === true) : undefined;
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
    received++;
    // Answered when the response is sent, or when its connection closes first (a reset, a client that left).
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    response.once('close', () => inFlight--);
    if (latencyMs > 0) await sleep(latencyMs);
    // A ring of the last requestLogSize: a simulator left running for days keeps a bounded log.
    if (requests.length > requestLogSize) requests.shift();
    if (fault !== undefined && (await inject(fault, request, response, task))) return;
    if (fault?.kind === 'hint') for (const [name, value] of Object.entries(hints(fault))) response.setHeader(name, value);

    if (submitter !== undefined) {
      const submit = wires[submitter].submit!;
      let created: SimTask;
      try {
        created = create(submitter, submit.spec(parsed(text)) as SimTaskSpec);
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof SyntaxError)) throw error;
        json(response, 400, { message: error.message });
        return;
      }
      answer(response, submit.accepted(path, created.id));
      return;
    }
    if (route === undefined || task === undefined || task.dialect !== route.dialect) {
      json(response, 404, { message: `No such task: ${taskId ?? path}` });
      return;
    }
    const wire = wires[task.dialect];
    if (wire.requires !== undefined && request.headers[wire.requires.header] === undefined) {
      json(response, 400, wire.requires.missing);
      return;
    }
    const isResult = wire.result?.isResult(route.match) === true;
    if (method === 'GET' && !isResult) {
      task.statusReads++;
      const state = stateOf(task, monotonic());
      if (state.kind === 'expired') json(response, 404, { message: `Task ${task.id} has expired.` });
      else json(response, 200, statusBody(task, state));
      return;
    }
    if (method === 'GET') {
      answer(response, wire.result!.answer(statusOf(task, stateOf(task, monotonic()))));
      return;
    }
    if (wire.cancel !== undefined && method === wire.cancel.method) {
      const refusal = wire.cancel.refusal?.(text);
      if (refusal !== undefined) {
        json(response, 400, refusal);
        return;
      }
      const state = stateOf(task, monotonic());
      if (state.kind === 'running' && task.cancelAt === undefined) task.cancelAt = task.statusReads;
      answer(response, wire.cancel.accepted);
      return;
    }
    json(response, 405, { message: `${method} is not supported here by ${task.dialect}.` });
  };

  /** Takes a request: refuses what its headers already rule out, reads its body up to maxBodyBytes, then handles it. */
  const receive = (request: IncomingMessage, response: ServerResponse): void => {
    const method = (request.method ?? 'GET').toUpperCase();
    const path = pathOf(request.url);
    if (path === undefined) {
      json(response, 400, { message: `The request target ${show(request.url)} is not a path; ask for e.g. /api/v2/tasks/<id>.` });
      return;
    }
    const isControl = path.startsWith('/_sim/');
    // Pages on other origins may poll tasks from a browser: answer CORS preflights there, allow every origin.
    // Never on the control API, which no page elsewhere may reconfigure or read.
    if (!isControl) for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
    const refusal = isControl ? controlRefusal(request, method) : undefined;
    if (refusal !== undefined) {
      answerUnread(request, response, refusal.status, refusal.message);
      return;
    }
    if (Number(request.headers['content-length']) > maxBodyBytes) {
      tooLarge(request, response);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else {
        over = true;
        chunks.length = 0;
        tooLarge(request, response);
      }
    });
    request.on('end', () => {
      if (over) return;
      handle(request, response, method, path, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => fail(response, error));
    });
  };

  const httpServer = createServer((request, response) => {
    // A client that goes away mid-request is no error of the server's.
    request.on('error', ignore);
    response.on('error', ignore);
    try {
      receive(request, response);
    } catch (error) {
      fail(response, error);
    }
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
  boundHost = hostOf(address.family === 'IPv6' ? `[${address.address}]` : address.address) ?? address.address;
  const givenHost = hostNameOf(host);
  if (givenHost !== undefined && !isWildcardHost(givenHost)) allowedHosts.add(givenHost);

  const server: TaskServer = {
    url: base,
    create,
    requests,
    stats,
    fault(spec) {
      checkFaultSpec(spec);
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
