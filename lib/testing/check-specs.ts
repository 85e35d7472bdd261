import { show } from '../util/options.js';
import { headerFault, tokenName } from '../util/redact.js';
import type { FaultSpec, SimTaskSpec } from './task-server.js';

// The checks of the specs the simulator takes, from code (`create`, `fault`) or from other processes (the
// control API, `POST /compute/...` of Evo). A spec is checked whole when it arrives, so a bad value is refused
// there, with the field named, and never reaches a response it would break (a header with CR LF in it, a body
// of a terabyte).

/** The fault kinds, in the order the docs list them. */
export const FAULT_KINDS: readonly FaultSpec['kind'][] = Object.freeze([
  'status',
  'reset',
  'slow',
  'malformed',
  'html',
  'wrong-shape',
  'oversized',
  'truncated',
  'redirect',
  'unknown-status',
  'hint',
] as const);

/** The largest body an `oversized` fault sends: 64 MiB, far past any client's limit, and still an allocation that cannot take the server down. */
export const MAX_OVERSIZED_BYTES = 64 * 1024 * 1024;

/** What a value must be, or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const MAX = Number.MAX_SAFE_INTEGER;


const whole =
  (min: number, max: number, infinity = false): Check =>
  (value) =>
    typeof value === 'number' && ((Number.isInteger(value) && value >= min && value <= max) || (infinity && value === Infinity))
      ? undefined
      : `a whole number from ${min} to ${max}${infinity ? ' (or Infinity)' : ''}`;

const finite =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? undefined : `a number from ${min} to ${max}`;

const anyFinite: Check = (value) => (typeof value === 'number' && Number.isFinite(value) ? undefined : 'a finite number');

const text: Check = (value) => (typeof value === 'string' ? undefined : 'a string');

const nonEmpty: Check = (value) => (typeof value === 'string' && value !== '' ? undefined : 'a non-empty string');

/** A header value the transport would send (the rule of redact.ts's headerFault): no CR, LF, NUL or other control character. */
const headerValue: Check = (value) =>
  headerFault('x-value', value) === undefined ? undefined : 'a header value: text without CR, LF, NUL or other control characters';

const method: Check = (value) => (typeof value === 'string' && tokenName.test(value) ? undefined : 'an HTTP method, e.g. "GET"');

const path: Check = (value) => (typeof value === 'string' && value.startsWith('/') ? undefined : 'a path starting with "/", e.g. "/api/v2/tasks/t1"');

const oneOf =
  (words: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && words.includes(value) ? undefined : `one of ${words.join(', ')}`;

const strings: Check = (value) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? undefined : 'an array of strings');

const json: Check = (value) => {
  try {
    // JSON.stringify is recursive: a result nested a million deep would break every read of the task.
    return JSON.stringify(value) === undefined ? 'a JSON value' : undefined;
  } catch {
    return 'a JSON value (JSON.stringify could not write it)';
  }
};

const failure: Check = (value) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.entries(value).every(([key, item]) => (key === 'code' || key === 'message') && (item === undefined || typeof item === 'string'))
    ? undefined
    : 'an object with a string "code" and "message", e.g. { "code": "E42", "message": "Boom" }';

const faultChecks = {
  kind: oneOf(FAULT_KINDS),
  taskId: text,
  method,
  path,
  times: whole(1, MAX, true),
  skip: whole(0, MAX),
  probability: finite(0, 1),
  // A 1xx is not a final answer: the client would wait for one that never comes (the `slow` fault does that).
  status: whole(200, 599),
  retryAfter: headerValue,
  retryAfterMs: anyFinite,
  delayMs: finite(0, MAX),
  bytes: whole(0, MAX_OVERSIZED_BYTES),
  location: headerValue,
  word: text,
} satisfies Record<keyof FaultSpec, Check>;

const taskChecks = {
  durationMs: finite(0, MAX),
  reads: whole(1, MAX),
  progress: oneOf(['linear', 'steps', 'none']),
  subtasks: strings,
  outcome: oneOf(['succeeded', 'failed', 'canceled']),
  result: json,
  failure,
  resultExpiresAfterMs: finite(0, MAX),
  id: nonEmpty,
} satisfies Record<keyof SimTaskSpec, Check>;

function checkFields(what: 'fault' | 'task', spec: object, checks: Readonly<Record<string, Check>>): void {
  for (const [key, value] of Object.entries(spec)) {
    if (!Object.hasOwn(checks, key)) {
      throw new TypeError(`startTaskServer: a ${what} has no field ${JSON.stringify(key)}; its fields are ${Object.keys(checks).join(', ')}.`);
    }
    if (value === undefined) continue;
    const must = checks[key]!(value);
    if (must !== undefined) throw new TypeError(`startTaskServer: the ${what}'s "${key}" must be ${must}, but was ${show(value)}.`);
  }
}

/** Throws a TypeError naming the field unless `spec` is a {@link FaultSpec} the simulator can carry out. */
export function checkFaultSpec(spec: unknown): asserts spec is FaultSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || (spec as { kind?: unknown }).kind === undefined) {
    throw new TypeError('startTaskServer: a fault needs a kind, e.g. { kind: "status", status: 503 }.');
  }
  checkFields('fault', spec, faultChecks);
}

/** Throws a TypeError naming the field unless `spec` is a {@link SimTaskSpec}. */
export function checkTaskSpec(spec: unknown): asserts spec is SimTaskSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new TypeError(`startTaskServer: a task spec must be an object, e.g. { "reads": 3 }, but was ${show(spec)}.`);
  }
  checkFields('task', spec, taskChecks);
}
