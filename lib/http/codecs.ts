import * as t from 'io-ts';

/** `codec`, or null: services send null for fields they have nothing to say in. */
export function nullable<C extends t.Mixed>(codec: C): t.UnionC<[C, t.NullC]> {
  return t.union([codec, t.null]);
}
