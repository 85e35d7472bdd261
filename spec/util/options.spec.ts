import { checkOptions, optionNamesOf } from '../../lib/util/options.js';

interface Config {
  readonly first?: number;
  readonly second?: string;
  readonly third?: boolean;
}

describe('optionNamesOf', () => {
  it('gives the names in the record’s order, which is the order a message lists them in', () => {
    const names = optionNamesOf<Config>()({ third: true, first: true, second: true });
    expect(names).toEqual(['third', 'first', 'second']);
    expect(Object.isFrozen(names)).toBe(true);
    expect(() => checkOptions('f', { fourth: 1 }, names)).toThrow(new TypeError('f: unknown option "fourth"; the options are third, first, second.'));
    expect(() => checkOptions('f', { first: 1, third: true }, names)).not.toThrow();
  });
});
