// Type tests of optionNamesOf: compiled by tsc, never run. A list of option names that misses a name of its
// config type, or has one the type does not, must fail to compile.
import { optionNamesOf } from '../../lib/util/options.js';

interface Config {
  readonly a?: number;
  readonly b: string;
}

export const all: readonly string[] = optionNamesOf<Config>()({ a: true, b: true });
// @ts-expect-error a name of the type is missing
export const missing = optionNamesOf<Config>()({ a: true });
// @ts-expect-error a name the type does not have (a stale or misspelt one)
export const stale = optionNamesOf<Config>()({ a: true, b: true, c: true });
// @ts-expect-error a name is given as something else than true
export const notTrue = optionNamesOf<Config>()({ a: true, b: false });

// A union's names are those of all its members, not only the ones they share.
type Either = { readonly kind: 'x'; readonly x: number } | { readonly kind: 'y'; readonly y: string };
export const union = optionNamesOf<Either>()({ kind: true, x: true, y: true });
// @ts-expect-error a member's own name is missing
export const unionMissing = optionNamesOf<Either>()({ kind: true, x: true });

// A shared record spread into the list still counts towards the type's names.
const shared = { b: true } as const satisfies Record<'b', true>;
export const spread = optionNamesOf<Config>()({ a: true, ...shared });
