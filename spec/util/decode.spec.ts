// decoderFor: a codec's `is` answers for a valid value only where decode would hand back that very value.
import fc from 'fast-check';
import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { DecodeError } from '../../lib/errors.js';
import { affinity, benchling, deadline, deepint, evo } from '../../lib/http/index.js';
import { decodeOrThrow } from '../../lib/util/decode.js';
import { decoderFor } from '../../lib/util/fast-decode.js';

const NumberFromString = new t.Type<number, string, unknown>(
  'NumberFromString',
  (u): u is number => typeof u === 'number',
  (u, c) => (typeof u === 'string' && u.trim() !== '' && !Number.isNaN(Number(u)) ? t.success(Number(u)) : t.failure(u, c)),
  String,
);

const Plain = t.intersection([
  t.type({ status: t.keyof({ RUNNING: null, DONE: null }), count: t.Int }),
  t.partial({ tags: t.readonlyArray(t.string), note: t.union([t.string, t.null]), extra: t.unknown, flag: t.literal(true) }),
]);

const plainCodecs: [string, t.Decoder<unknown, unknown>][] = [
  ['Benchling status', benchling.status],
  ['Affinity status', affinity.status],
  ['Evo status', evo.status],
  ['Deep Intelligence status', deepint.status],
  ['Deadline status', deadline.status],
  ['every plain combinator', Plain],
  ['an array of readonly records', t.array(t.readonly(t.type({ id: t.string, n: t.number })))],
];

// Values near the codecs' shapes, so that many decode and many fail.
const words = ['RUNNING', 'DONE', 'SUCCEEDED', 'FAILED', 'success', 'failed', 'in_progress', 'PENDING'];
const values = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      status: fc.oneof(fc.constantFrom(...words), fc.jsonValue()),
      runStatus: fc.constantFrom(...words),
      count: fc.oneof(fc.integer(), fc.double(), fc.string()),
      tags: fc.oneof(fc.array(fc.string()), fc.array(fc.jsonValue())),
      note: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
      extra: fc.jsonValue(),
      flag: fc.oneof(fc.constant(true), fc.boolean()),
      progress: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(null)),
      message: fc.oneof(fc.string(), fc.constant(null)),
      error: fc.oneof(fc.constant(null), fc.record({ type: fc.string(), detail: fc.string() }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
  fc.array(fc.record({ id: fc.oneof(fc.string(), fc.integer()), n: fc.oneof(fc.integer(), fc.string()) }, { requiredKeys: [] })),
);

/** What decodeOrThrow does with `value`: its answer, or its error's message. */
function outcome<A>(run: () => A): { value: A } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return { error: (error as Error).message };
  }
}

describe('decoderFor', () => {
  it.each(plainCodecs)('%s: answers as decodeOrThrow does, with the very value when it is valid', (_name, codec) => {
    const decode = decoderFor(codec, 'The thing');
    fc.assert(
      fc.property(values, (value) => {
        const fast = outcome(() => decode(value));
        expect(fast).toEqual(outcome(() => decodeOrThrow(codec, value, 'The thing')));
        if ('value' in fast && isRight(codec.decode(value)) && (codec as t.Mixed).is(value)) expect(fast.value).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('asks only the guard about a valid value of a plain codec, and decode about anything else', () => {
    const codec = t.type({ status: t.string });
    const decodeCalls = jest.spyOn(codec, 'decode');
    const decode = decoderFor(codec, 'x');
    const valid = { status: 'RUNNING' };
    expect(decode(valid)).toBe(valid);
    expect(decodeCalls).not.toHaveBeenCalled();
    expect(() => decode({ status: 1 })).toThrow(DecodeError);
    expect(decodeCalls).toHaveBeenCalledTimes(1);
  });

  it('decodes a codec that converts or strips: its output, not its input', () => {
    const Exact = t.exact(t.type({ id: t.string }));
    const input = { id: 'a', secret: 'kept out' };
    expect(decoderFor(Exact, 'x')(input)).toEqual({ id: 'a' });

    const WithNumber = t.type({ n: NumberFromString });
    expect(decoderFor(WithNumber, 'x')({ n: '42' })).toEqual({ n: 42 });
    // `is` would take { n: 42 } (the decoded type), but decode refuses it: the codec is not plain.
    expect(() => decoderFor(WithNumber, 'x')({ n: 42 })).toThrow(DecodeError);

    const Strict = t.strict({ id: t.string });
    expect(decoderFor(t.union([Strict, t.null]), 'x')({ id: 'b', more: 1 })).toEqual({ id: 'b' });
  });

  it('says what is wrong with a value the codec refuses, as decodeOrThrow does', () => {
    const decode = decoderFor(benchling.status, 'The status answer for task "t1" (Benchling)', 't1');
    expect(() => decode({ status: 7 })).toThrow(
      new DecodeError(
        'The status answer for task "t1" (Benchling) does not have the expected shape (BenchlingAsyncTask): Invalid value 7 supplied to : BenchlingAsyncTask/0: { status: string }/status: string; received {"status":7}. Check that the codec matches what the service sends.',
        [],
      ),
    );
  });
});

describe('decodeOrThrow', () => {
  const issuesOf = (codec: t.Decoder<unknown, unknown>, value: unknown): readonly string[] | undefined => {
    try {
      decodeOrThrow(codec, value, 'The thing');
      return undefined;
    } catch (error) {
      return (error as DecodeError).issues;
    }
  };

  it.each(plainCodecs)('%s: reports the lines io-ts PathReporter writes, for values of any shape', (_name, codec) => {
    fc.assert(
      fc.property(values, (value) => {
        const decoded = codec.decode(value);
        const expected = isRight(decoded) ? undefined : PathReporter.report(decoded);
        // Lines that quote a long value are clipped; every other line is PathReporter's own.
        if (expected !== undefined && expected.some((line) => line.length > 150)) return;
        expect(issuesOf(codec, value)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('clips the values and keys it quotes, and reports a value nested a hundred thousand levels deep', () => {
    const Counts = t.record(t.string, t.number);
    const [line] = issuesOf(Counts, { ['k'.repeat(1_000_000)]: 'v'.repeat(1_000_000) })!;
    expect(line).toBe(`Invalid value "${'v'.repeat(199)}… supplied to : { [K in string]: number }/${'k'.repeat(200)}… (1000000 characters): number`);
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(issuesOf(t.type({ status: t.string }), deep)).toEqual([`Invalid value ${'['.repeat(16)}… supplied to : { status: string }`]);
  });

  it('turns a codec that runs out of stack into a DecodeError whose cause is the RangeError', () => {
    type Nested = Nested[];
    const Nested: t.Type<Nested> = t.recursion('Nested', () => t.array(Nested));
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let thrown: unknown;
    try {
      decodeOrThrow(Nested, deep, 'The result of task "t1"', 't1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DecodeError);
    expect((thrown as DecodeError).cause).toBeInstanceOf(RangeError);
    expect((thrown as DecodeError).message).toMatch(/^The result of task "t1" could not be checked against Nested: the codec threw RangeError \(.+\), as a recursive codec does on a value nested deeper than the stack allows; received \[{16}…\. Check that the codec matches what the service sends\.$/);
    expect((thrown as DecodeError).taskId).toBe('t1');
  });
});
