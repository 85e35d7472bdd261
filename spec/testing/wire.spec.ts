// The simulator's wires (lib/testing/wire/) write what the dialects (lib/http/) read: each side is checked
// against the other here, so that neither can drift from its half without a failing test.
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import fc from 'fast-check';
import { affinity, benchling, deadline, deepint, evo, type Dialect, type ResponseInfo } from '../../lib/http/index.js';
import { SIM_DIALECTS, type SimDialect } from '../../lib/testing/task-server.js';
import { isRunning, SIM_PHASES, wires, type SimPhase, type SimStatus, type SimWire } from '../../lib/testing/wire/index.js';

/** The dialect that reads each wire. */
const dialects: Record<SimDialect, Dialect> = { benchling, affinity, evo, deepint, deadline };

const base = 'http://127.0.0.1:4000';

/** A task at one read in `phase`, with any progress, phase name, result, failure and clock readings. */
function statusIn(wire: SimWire, phase: SimPhase): fc.Arbitrary<SimStatus> {
  const running = isRunning(phase);
  return fc.record({
    id: fc.string({ minLength: 1 }),
    phase: fc.constant(phase),
    word: fc.constant(wire.words[phase]),
    fraction: running ? fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) : fc.constant(1),
    percent: running ? fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) : fc.constant(undefined),
    subtask: running ? fc.option(fc.string(), { nil: undefined }) : fc.constant(undefined),
    // The simulator's result is never null: a spec's null result gives way to the default one.
    result: phase === 'succeeded' ? fc.jsonValue().filter((value) => value !== null) : fc.constant(undefined),
    failure: fc.record({ code: fc.string(), message: fc.string() }),
    ageMs: fc.double({ min: 0, max: 1e9, noNaN: true }),
    wallClockMs: fc.integer({ min: 1e9, max: 4e12 }),
    cancelRequested: fc.boolean(),
  });
}

/** What a client receives of `body`: its JSON text, parsed. */
const overTheWire = (body: unknown): unknown => JSON.parse(JSON.stringify(body)) as unknown;

/** The dialect's reading of a status body, as httpTask makes it: decoded by the dialect's codec, then mapped. */
function read(dialect: Dialect, body: unknown, url: string) {
  const decoded = dialect.status.decode(overTheWire(body));
  if (decoded._tag === 'Left') throw new Error(`${dialect.name} does not decode ${JSON.stringify(body)}`);
  const response: ResponseInfo = { status: 200, headers: { get: () => null }, url };
  return dialect.toReading(decoded.right, response);
}

/** The task id a wire's route finds in `url`, or undefined when the route does not match. */
function routed(wire: SimWire, url: string): { id: string; match: RegExpExecArray } | undefined {
  const match = wire.route.exec(new URL(url).pathname);
  return match === null ? undefined : { id: decodeURIComponent(match[1]!), match };
}

// An id of "." or ".." is a path segment URLs resolve away; no service hands out such an id.
const anyId = fc.string({ minLength: 1 }).filter((id) => id !== '.' && id !== '..');

describe.each(SIM_DIALECTS)('the %s wire', (name) => {
  const wire = wires[name];
  const dialect = dialects[name];

  it.each(SIM_PHASES)('writes a %s task so that its dialect reads that status back', (phase) => {
    const expected = wire.reportedAs?.[phase] ?? phase;
    fc.assert(
      fc.property(statusIn(wire, phase), (status) => {
        const url = wire.locate(base, status.id).url;
        const reading = read(dialect, wire.statusBody(status), url);
        expect(reading.runStatus).toBe(expected);
        expect(reading.vendorStatus).toBe(wire.words[phase]);
        if (phase === 'failed') expect(reading.failure).toBeDefined();
        if (phase === 'succeeded' && dialect.resultUrl === undefined) expect(reading.result).toBeDefined();
        if (phase === 'succeeded' && dialect.resultUrl !== undefined) {
          // The result lives apart: the wire answers it where the dialect looks, in the field it picks.
          const answer = wire.result!.answer(status);
          expect(answer.status).toBe(200);
          const picked = dialect.selectResult === undefined ? overTheWire(answer.body) : dialect.selectResult(overTheWire(answer.body));
          expect(picked).toEqual(overTheWire(status.result));
        }
      }),
    );
  });

  it('writes an injected status word where its dialect reads the word', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIM_PHASES).chain((phase) => statusIn(wire, phase)), fc.string(), (status, word) => {
        expect(read(dialect, wire.statusBody({ ...status, word }), wire.locate(base, status.id).url).vendorStatus).toBe(word);
      }),
    );
  });

  it('reports a phase it has no word for with the word of the status it stands for', () => {
    for (const [phase, status] of Object.entries(wire.reportedAs ?? {}) as Array<[SimPhase, SimPhase]>) {
      expect(status).not.toBe(phase);
      expect(wire.words[phase]).toBe(wire.words[status]);
    }
  });

  it("locates a task at a URL its route takes back to the task's id", () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const { url } = wire.locate(base, id);
        const found = routed(wire, url);
        expect(found?.id).toBe(id);
        expect(wire.result?.isResult(found!.match) ?? false).toBe(false);
      }),
    );
  });

  it('answers the result where its dialect fetches it, when the result lives apart', () => {
    expect(wire.result === undefined).toBe(dialect.resultUrl === undefined);
    if (dialect.resultUrl === undefined) return;
    fc.assert(
      fc.property(anyId, (id) => {
        const { url } = wire.locate(base, id);
        const found = routed(wire, dialect.resultUrl!(url, {}));
        expect(found?.id).toBe(id);
        expect(wire.result!.isResult(found!.match)).toBe(true);
      }),
    );
  });

  it('takes the cancel its dialect sends, and only a dialect that cancels sends one', () => {
    expect(wire.cancel === undefined).toBe(dialect.cancel === undefined);
    if (dialect.cancel === undefined) return;
    fc.assert(
      fc.property(anyId, fc.string(), (id, idempotencyToken) => {
        const request = dialect.cancel!(wire.locate(base, id).url, { idempotencyToken });
        expect(request.method).toBe(wire.cancel!.method);
        expect(routed(wire, request.url)?.id).toBe(id);
        expect(wire.cancel!.refusal?.(request.body === undefined ? '' : JSON.stringify(request.body))).toBeUndefined();
      }),
    );
  });

  it('answers a submission with the status URL of the task it created', () => {
    if (wire.submit === undefined) return;
    fc.assert(
      fc.property(anyId, (id) => {
        const path = '/compute/orgs/org/topic/task';
        expect(wire.submit!.route.test(path)).toBe(true);
        const location = wire.submit!.accepted(path, id).headers?.location;
        const found = routed(wire, new URL(location!, base).href);
        expect(found?.id).toBe(id);
        expect(wire.result?.isResult(found!.match) ?? false).toBe(false);
      }),
    );
  });
});

describe('the wires', () => {
  it('are not carried by the http entry', async () => {
    const root = resolve(__dirname, '../..');
    const result = await build({
      entryPoints: [join(root, 'lib/http/index.ts')],
      absWorkingDir: root,
      bundle: true,
      format: 'esm',
      platform: 'node',
      external: ['rxjs'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('lib/http/evo.ts');
    expect(inputs.filter((path) => path.startsWith('lib/testing/'))).toEqual([]);
  });
});
