import fc from 'fast-check';
import { clip, excerpt, previewValue, quoted, QUOTE_CHARS } from '../../lib/util/excerpt.js';

const deepArray = (levels: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

/** Whether `text` holds half a surrogate pair. */
const splitsAPair = (text: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

describe('clip', () => {
  it(`keeps a text of up to ${QUOTE_CHARS} characters, on one line`, () => {
    expect(clip('in  progress\n(step 2)')).toBe('in progress (step 2)');
    expect(clip('x'.repeat(QUOTE_CHARS))).toBe('x'.repeat(QUOTE_CHARS));
  });

  it('cuts a longer one, ends it in "…" and says how long it was', () => {
    expect(clip('x'.repeat(1_000_000))).toBe(`${'x'.repeat(QUOTE_CHARS)}… (1000000 characters)`);
    expect(clip('abcdef', 3)).toBe('abc… (6 characters)');
  });

  it('is short and whole for every text, never splitting a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.integer({ min: 1, max: 300 }), (text, max) => {
        const quoted = clip(text, max);
        expect(quoted.length).toBeLessThanOrEqual(max + ` … (${text.length} characters)`.length);
        expect(quoted).not.toMatch(/\s\s|[\n\t]/);
        expect(splitsAPair(quoted)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('previewValue', () => {
  it('writes a JSON value as JSON.stringify does when it is short', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        if (json.length <= QUOTE_CHARS) expect(previewValue(value)).toBe(json);
      }),
      { numRuns: 1000 },
    );
  });

  it('names what io-ts PathReporter names at the top: undefined, NaN, Infinity, functions', () => {
    expect([undefined, NaN, -Infinity, function decode() {}].map((value) => previewValue(value))).toEqual(['undefined', 'NaN', '-Infinity', 'decode']);
    expect(previewValue([undefined, NaN, () => 1])).toBe('[null,null,null]');
    expect(previewValue({ a: undefined, b: 1, toString: () => 'x' })).toBe('{"b":1}');
  });

  it('never throws and stays short, for values nested a million levels deep, cyclic or hostile', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const hostile = { get boom(): never { throw new Error('no'); } };
    const huge = { words: Array.from({ length: 100_000 }, (_, i) => `word-${i}`) };
    for (const value of [deepArray(1_000_000), cyclic, hostile, huge, 'x'.repeat(1_000_000), { ['k'.repeat(1_000_000)]: 1 }]) {
      const text = previewValue(value);
      expect(text.length).toBeLessThanOrEqual(QUOTE_CHARS + 1);
    }
    expect(previewValue(deepArray(1_000_000))).toBe(`${'['.repeat(16)}…`);
  });

  it('is short and whole for every value', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), fc.integer({ min: 1, max: 300 }), (value, max) => {
        const text = previewValue(value, max);
        expect(text.length).toBeLessThanOrEqual(max + 1);
        expect(splitsAPair(text)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('excerpt', () => {
  it('quotes a string as it is and anything else as JSON, on one line, clipped', () => {
    expect(excerpt('RUNNING')).toBe('RUNNING');
    expect(excerpt({ status: 'a\tb' })).toBe('{"status":"a\\tb"}');
    expect(excerpt({ note: 'two  spaces' })).toBe('{"note":"two spaces"}');
    expect(excerpt(deepArray(100_000))).toBe(`${'['.repeat(16)}…`);
    expect(excerpt('😀'.repeat(QUOTE_CHARS))).toBe(`${'😀'.repeat(QUOTE_CHARS / 2)}… (${2 * QUOTE_CHARS} characters)`);
  });
});

describe('quotes of a service\'s text on a terminal', () => {
  const control = fc.integer({ min: 0, max: 0x9f }).filter((code) => code < 0x20 || code >= 0x7f).map((code) => String.fromCharCode(code));
  const hostile = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), control, fc.constantFrom('\u001b]0;pwned\u0007', '\u001b[2J', '\u009b31m', '\u0085')), { maxLength: 40 }).map((parts) => parts.join(''));

  it('hold no control character (ESC, CSI, BEL, NEL, …) a terminal would act on: each is written out as \\xHH', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        for (const quote of [clip(text), excerpt(text), excerpt({ status: text }), excerpt([text])]) {
          expect(quote).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
    );
    expect(clip('\u001b]0;pwned\u0007done')).toBe('\\x1b]0;pwned\\x07done');
    expect(clip('a\u0085b\u009bc')).toBe('a\\x85b\\x9bc');
  });
});

describe('quoted, for a message that names a bad value', () => {
  it('keeps every character in sight: CR, LF, NUL, ESC and C1 escaped, never folded; long text clipped with its length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const quote = quoted(text);
        expect(quote).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        if (text.length <= QUOTE_CHARS) expect(quote).not.toContain('…');
        else expect(quote.endsWith(`… (${text.length} characters)`)).toBe(true);
      }),
    );
    expect(quoted('1\r\nset-cookie: a=b')).toBe('"1\\r\\nset-cookie: a=b"');
    expect(quoted('a\u009bb')).toBe('"a\\x9bb"');
  });
});
