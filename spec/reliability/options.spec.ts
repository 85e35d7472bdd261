// Every option object is checked when the function is called (docs/operators.md, docs/errors.md): an unknown
// option, or a value of the wrong type or out of range, throws a TypeError (the Promise helpers reject with it)
// that names the function and the option, says what it must be and what it was. Tried here for every public
// function that takes options, with hostile values of every kind; and the documented names and edge values
// (0, the largest safe integer, Infinity where allowed) are taken.
import fc from 'fast-check';
import { NEVER, of } from 'rxjs';
import {
  cancelOnUnsubscribe,
  createTaskPoller,
  pollAll$,
  taskSource,
  timeoutAfter,
  waitForCompletion,
  waitForResult,
  withBackoff,
  withEta,
  withInterval,
  pollStrategy,
  type PollPlanConfig,
} from '../../lib/index.js';
import { affinityTask, benchling, benchlingTask, deadlineTask, deepintTask, evoJob, httpTask } from '../../lib/http/index.js';
import { quoted } from '../../lib/util/excerpt.js';
import { startTaskServer } from '../../lib/testing/index.js';
import { reading } from '../helpers/readings.js';

/** What a number option takes: from `min` (above it, with `aboveMin`) to `max`, whole or not, Infinity or not. */
interface NumberRule {
  readonly min: number;
  readonly max?: number;
  readonly aboveMin?: boolean;
  readonly integer?: boolean;
  readonly infinity?: boolean;
  /** Other options that keep a good value of this one from breaking a rule between two options. */
  readonly with?: Readonly<Record<string, unknown>>;
  /** The good values to try, when not any in the range (a port to listen on). */
  readonly good?: readonly number[];
}

interface Target {
  /** The function's name, as its messages start. */
  readonly fn: string;
  /** Calls the function with these options (merged into whatever else it needs). */
  call(options: Record<string, unknown>): unknown;
  /** The option names its documentation lists. */
  readonly documented: readonly string[];
  readonly numbers: Readonly<Record<string, NumberRule>>;
  /** Options that take a function. */
  readonly functions?: readonly string[];
  /** Options given in every call (required ones), kept in the names test. */
  readonly base?: Readonly<Record<string, unknown>>;
  /** The value is the function's first argument, not an option in an object (`withInterval(ms)`). */
  readonly positional?: boolean;
}

const loopNumbers: Record<string, NumberRule> = {
  firstPollDelayMs: { min: 0 },
  maxConsecutiveErrors: { min: 0, integer: true, infinity: true },
  maxRetryAfterMs: { min: 0, infinity: true },
  maxWaitMs: { min: 0, infinity: true },
  startAtWait: { min: 1, integer: true },
};
const loopNames = ['firstPollDelayMs', 'maxConsecutiveErrors', 'isRetryable', 'maxRetryAfterMs', 'maxWaitMs', 'startAtWait', 'scheduler'];
const httpNames = ['result', 'headers', 'fetch', 'requestTimeoutMs', 'maxBodyBytes', 'allowedOrigins'];
const httpNumbers: Record<string, NumberRule> = { requestTimeoutMs: { min: 1 }, maxBodyBytes: { min: 1 } };

const aborted = AbortSignal.abort();
const never = taskSource({ id: 'never', read: () => NEVER });
const origin = 'https://api.example.com';
const intervalSchedule = withInterval(10).plan.schedule;

/** An HTTP builder: its required options, and the rest as every builder takes them. */
const builder = (fn: string, call: (options: Record<string, unknown>) => unknown, ids: Record<string, unknown>, more: readonly string[] = []): Target => ({
  fn,
  call: (options) => call({ ...ids, ...options }),
  documented: [...Object.keys(ids), ...more, ...httpNames],
  numbers: httpNumbers,
  functions: ['fetch'],
  base: ids,
});

const targets: readonly Target[] = [
  {
    fn: 'withBackoff',
    call: (options) => withBackoff(options),
    documented: ['initialDelayMs', 'factor', 'maxDelayMs', 'jitter', 'random', ...loopNames],
    numbers: { ...loopNumbers, initialDelayMs: { min: 0 }, factor: { min: 1 }, maxDelayMs: { min: 0, with: { initialDelayMs: 0 } }, jitter: { min: 0, max: 1 } },
    functions: ['random', 'isRetryable'],
  },
  { fn: 'withInterval', call: (options) => withInterval(10, options), documented: loopNames, numbers: loopNumbers, functions: ['isRetryable'] },
  {
    fn: 'pollStrategy',
    call: (options) => pollStrategy({ schedule: intervalSchedule, ...options } as PollPlanConfig),
    documented: ['schedule', 'pausedWhile', ...loopNames],
    numbers: loopNumbers,
    functions: ['isRetryable'],
    base: { schedule: intervalSchedule },
  },
  { fn: 'withInterval', call: (options) => withInterval(options.ms as number), documented: ['ms'], numbers: { ms: { min: 0 } }, base: { ms: 10 }, positional: true },
  {
    fn: 'withEta',
    call: (options) => withEta(options),
    documented: ['minDelayMs', 'maxDelayMs', 'finalDelayMs', 'initialDelayMs', 'samples', 'random', ...loopNames],
    numbers: {
      ...loopNumbers,
      minDelayMs: { min: 0 },
      maxDelayMs: { min: 0, with: { minDelayMs: 0 } },
      finalDelayMs: { min: 0 },
      initialDelayMs: { min: 0 },
      samples: { min: 2, max: 100, integer: true },
    },
    functions: ['random', 'isRetryable'],
  },
  { fn: 'timeoutAfter', call: (options) => timeoutAfter(options), documented: ['ms', 'deadline', 'scheduler'], numbers: { ms: { min: 0, infinity: true } }, base: { ms: 10 } },
  { fn: 'timeoutAfter', call: (options) => timeoutAfter(options.ms as number), documented: ['ms'], numbers: { ms: { min: 0, infinity: true } }, base: { ms: 10 }, positional: true },
  ...(['waitForResult', 'waitForCompletion'] as const).map(
    (fn): Target => ({
      fn,
      // Given an aborted signal, a call whose options pass ends with an AbortError at once.
      call: (options) => (fn === 'waitForResult' ? waitForResult : waitForCompletion)(never, { signal: aborted, ...options }),
      documented: ['strategy', 'timeoutMs', 'signal', 'cancelOnAbort', 'onProgress'],
      numbers: { timeoutMs: { min: 0, infinity: true } },
      functions: ['onProgress', 'strategy'],
      base: { signal: aborted },
    }),
  ),
  {
    fn: 'createTaskPoller',
    call: (options) => createTaskPoller(options),
    documented: ['strategy', 'maxConcurrentRequests', 'maxRequestsPerSecond', 'retainFinished', 'scheduler'],
    numbers: {
      maxConcurrentRequests: { min: 1, integer: true, infinity: true },
      maxRequestsPerSecond: { min: 0, aboveMin: true, infinity: true },
      retainFinished: { min: 0, integer: true, infinity: true },
    },
    functions: ['strategy'],
  },
  {
    fn: 'pollAll$',
    call: (options) => pollAll$([never], options),
    documented: ['strategy', 'concurrency', 'mode', 'poller'],
    numbers: { concurrency: { min: 1, integer: true, infinity: true } },
    functions: ['strategy'],
  },
  { fn: 'cancelOnUnsubscribe', call: (options) => cancelOnUnsubscribe(options), documented: ['onError'], numbers: {}, functions: ['onError'] },
  {
    fn: 'taskSource',
    call: (options) => taskSource(options as never),
    documented: ['id', 'read', 'result', 'cancel', 'resultCodec', 'defaultStrategy'],
    numbers: {},
    functions: ['read', 'result', 'cancel', 'defaultStrategy'],
    base: { id: 'task-1', read: () => of(reading.running()) },
  },
  builder('httpTask', (options) => httpTask(options as never), { url: `${origin}/tasks/1`, dialect: benchling }, ['id']),
  builder('benchlingTask', (options) => benchlingTask(options as never), { baseUrl: origin, taskId: 't1' }),
  builder('affinityTask', (options) => affinityTask(options as never), { baseUrl: `${origin}/v2/`, taskUrl: `${origin}/v2/tasks/company-merges/1` }, ['url']),
  builder('evoJob', (options) => evoJob(options as never), { url: `${origin}/compute/orgs/o/geo/krig/j1/status` }, ['baseUrl', 'orgId', 'topic', 'task', 'jobId']),
  builder('deepintTask', (options) => deepintTask(options as never), { organizationId: 'o', workspaceId: 'w', taskId: 't' }, ['baseUrl']),
  builder('deadlineTask', (options) => deadlineTask(options as never), { endpoint: origin, farmId: 'f', queueId: 'q', jobId: 'j', stepId: 's', taskId: 't' }),
  {
    fn: 'startTaskServer',
    call: (options) => startTaskServer(options).then((server) => server.close()),
    documented: ['port', 'host', 'random', 'files', 'allowedHosts', 'requestLogSize', 'latencyMs', 'maxBodyBytes'],
    numbers: {
      port: { min: 0, max: 65535, integer: true, good: [0] },
      latencyMs: { min: 0, max: Number.MAX_SAFE_INTEGER },
      requestLogSize: { min: 0, integer: true, infinity: true },
      maxBodyBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
    },
    functions: ['random'],
  },
];

/** Whether `value` is one `rule` takes. */
function takes(rule: NumberRule, value: unknown): boolean {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (value < rule.min || (rule.aboveMin === true && value === rule.min) || value > (rule.max ?? Infinity)) return false;
  if (!Number.isFinite(value)) return rule.infinity === true && value === Infinity;
  return rule.integer !== true || Number.isInteger(value);
}

/** Values of every kind but a number, and numbers at and beyond every edge a rule can have. */
const hostile = (rule: NumberRule): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      fc.constantFrom<unknown>(NaN, -Infinity, Infinity, -1, -0.5, -Number.MIN_VALUE, 0, 0.5, 1.5, 2 ** 31 + 0.5, '5', '', '1e3', null, true, {}, [], [5], 10n, new Number(5), Symbol('x'), () => 5, new Date(5)),
      fc.constantFrom(rule.min - 1, rule.min - 0.5, rule.min, (rule.max ?? Infinity) + 1, (rule.max ?? Infinity) + 0.5),
      fc.double(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    )
    .filter((value) => !takes(rule, value));

/** Good values: the edges of the range, fractions where they are allowed, and any value between. */
const good = (rule: NumberRule): fc.Arbitrary<number> => {
  if (rule.good !== undefined) return fc.constantFrom(...rule.good);
  const max = Math.min(rule.max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const low = rule.aboveMin === true ? Number.MIN_VALUE : rule.min;
  return fc
    .oneof(
      fc.constantFrom(low, max, rule.min + 1, Infinity),
      rule.integer === true ? fc.integer({ min: Math.ceil(low), max: Math.min(max, 2 ** 31) }) : fc.double({ min: low, max, noNaN: true }),
    )
    .filter((value) => takes(rule, value));
};

/** What a call ends with: undefined when it took the options, else what it threw or rejected with. */
async function outcomeOf(target: Target, options: Record<string, unknown>): Promise<unknown> {
  try {
    await target.call({ ...target.base, ...options });
    return undefined;
  } catch (error) {
    // waitForResult and waitForCompletion end so when their options passed: the signal given is aborted.
    return (error as { name?: unknown })?.name === 'AbortError' ? undefined : error;
  }
}

const numberCases = targets.flatMap((target) => Object.entries(target.numbers).map(([name, rule]) => ({ target, name, rule })));
const functionCases = targets.flatMap((target) => (target.functions ?? []).map((name) => ({ target, name })));
const label = (target: Target): string => `${target.fn}(${Object.keys(target.base ?? {}).join(', ')})`;

describe('options are checked when a function is called', () => {
  it('a number option given anything it does not take: a TypeError naming the function and the option, what it must be and what it was', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numberCases).chain((picked) => hostile(picked.rule).map((value) => ({ ...picked, value }))),
        async ({ target, name, rule, value }) => {
          const error = await outcomeOf(target, { ...rule.with, [name]: value });
          expect(error).toBeInstanceOf(TypeError);
          const message = (error as Error).message;
          expect(message.startsWith(`${target.fn}: `) ? 'named' : message).toBe('named');
          if (name === 'jitter' && typeof value === 'object' && value !== null) expect(message).toContain('jitter');
          // timeoutAfter(x) takes a number or a config object: anything else is said to be neither.
          else if (target.positional === true && typeof value !== 'number') expect(message.length).toBeLessThan(300);
          else expect(message).toMatch(new RegExp(`^${target.fn.replace('$', '\\$')}: option "${name}" must be .*, but was .*\\.$`, 's'));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('a number option given a value in its range is taken: 0, the largest safe integer, Infinity where allowed, fractions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numberCases).chain((picked) => good(picked.rule).map((value) => ({ ...picked, value }))),
        async ({ target, name, rule, value }) => {
          expect({ fn: label(target), name, value, error: await outcomeOf(target, { ...rule.with, [name]: value }) }).toEqual({ fn: label(target), name, value, error: undefined });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an option that takes a function, given anything else: a TypeError naming it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...functionCases),
        fc.constantFrom<unknown>(null, 5, 'f', {}, [], true, 10n, Symbol('f'), new Date(0)),
        async ({ target, name }, value) => {
          const error = await outcomeOf(target, { [name]: value });
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(new RegExp(`^${target.fn.replace('$', '\\$')}: option "${name}" must be `));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('every documented option name is taken, and any other name is refused as unknown, listing the options', async () => {
    const names = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'intialDelayMs', 'InitialDelayMs', 'timeout', 'retries', 'signal ', 'MS'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets.filter((target) => target.positional !== true)), fc.oneof(names, fc.constantFrom(...targets.flatMap((target) => target.documented))), async (target, name) => {
        // A key with the value undefined: only its name is checked (JSON.parse makes "__proto__" an own key).
        const options = JSON.parse(`{${JSON.stringify(name)}: null}`) as Record<string, unknown>;
        options[name] = target.base?.[name];
        const error = await outcomeOf(target, options);
        if (target.documented.includes(name)) {
          expect({ fn: label(target), name, error }).toEqual({ fn: label(target), name, error: undefined });
        } else {
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message.startsWith(`${target.fn}: unknown option ${quoted(name)}; the options are `) ? 'named' : (error as Error).message).toBe('named');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('options that are not an object: a TypeError naming the function', async () => {
    const objectTargets = targets.filter((target) => target.base === undefined);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...objectTargets), fc.constantFrom<unknown>(null, 5, 'options', [], true, 10n, Symbol('o')), async (target, value) => {
        let error: unknown;
        try {
          await (target.call as (options: unknown) => unknown)(value);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message.startsWith(`${target.fn}: `)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
