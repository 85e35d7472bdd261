import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../lib/util/json-depth.js';

/** How deeply `value` nests arrays and objects, by walking it: what nestedDeeperThan reads from the text. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  return 1 + items.reduce<number>((deepest, item) => Math.max(deepest, depthOf(item)), 0);
}

// Strings full of brackets, quotes and backslashes: only the structure counts, never what a string holds.
const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ', '😀') });
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'large' }, tricky, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(tricky, tie('value'), { maxKeys: 3 })),
})).value;

describe('nestedDeeperThan', () => {
  it('answers whether the JSON text nests deeper than the limit, whatever its strings hold', () => {
    fc.assert(
      fc.property(values, fc.integer({ min: 0, max: 8 }), fc.boolean(), (value, max, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(nestedDeeperThan(text, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it(`holds ${MAX_JSON_DEPTH} levels and refuses one more, of arrays and of objects`, () => {
    for (const [open, close] of [['[', ']'], ['{"a":', '}']]) {
      expect(nestedDeeperThan(`${open.repeat(MAX_JSON_DEPTH)}1${close.repeat(MAX_JSON_DEPTH)}`)).toBe(false);
      expect(nestedDeeperThan(`${open.repeat(MAX_JSON_DEPTH + 1)}1${close.repeat(MAX_JSON_DEPTH + 1)}`)).toBe(true);
    }
  });

  it('reads a million levels without recursion', () => {
    expect(nestedDeeperThan(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`)).toBe(true);
  });
});
