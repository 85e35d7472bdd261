import type * as t from 'io-ts';
import { decodeOrThrow } from './decode.js';

// A speed trick that relies on io-ts's behaviour, kept in this one file: for a codec built only of io-ts
// combinators that hand back their very input, `is` answers for a valid value and decode is skipped.
// spec/util/decode.spec.ts checks against io-ts itself that the answers are the same, so an io-ts that
// changes this behaviour fails it. Used for the status answers of HTTP sources, decoded at every poll.

/**
 * Whether `codec` is built only of io-ts combinators whose decode answers its very input whenever `is`
 * accepts it: no conversions (`DateFromISOString`), no stripping (`exact`, `strict`), no copies. io-ts's own
 * `type`, `partial`, `intersection`, `union`, `array` and `refinement` return the input itself when none of
 * their parts changed it. Unknown tags, and codecs made with `new t.Type`, answer false.
 */
function decodesToItself(codec: unknown, depth = 0): boolean {
  if (depth > 32 || typeof codec !== 'object' || codec === null || typeof (codec as { is?: unknown }).is !== 'function') return false;
  const parts = codec as { _tag?: unknown; props?: Record<string, unknown>; types?: readonly unknown[]; type?: unknown };
  switch (parts._tag) {
    case 'NullType':
    case 'UndefinedType':
    case 'VoidType':
    case 'UnknownType':
    case 'AnyType':
    case 'StringType':
    case 'NumberType':
    case 'BigIntType':
    case 'BooleanType':
    case 'AnyArrayType':
    case 'AnyDictionaryType':
    case 'LiteralType':
    case 'KeyofType':
      return true;
    case 'InterfaceType':
    case 'PartialType':
      return parts.props !== undefined && Object.values(parts.props).every((part) => decodesToItself(part, depth + 1));
    case 'UnionType':
    case 'IntersectionType':
      return parts.types !== undefined && parts.types.every((part) => decodesToItself(part, depth + 1));
    case 'ArrayType':
    case 'ReadonlyArrayType':
    case 'ReadonlyType':
    case 'RefinementType':
      return decodesToItself(parts.type, depth + 1);
    default:
      return false;
  }
}

// A dialect's codec serves every source of that service: each codec is looked at once.
const plainCodecs = new WeakMap<object, boolean>();

function isPlain(codec: object): boolean {
  let plain = plainCodecs.get(codec);
  if (plain === undefined) plainCodecs.set(codec, (plain = decodesToItself(codec)));
  return plain;
}

/**
 * {@link decodeOrThrow} with `codec` and the message fixed, for a codec that decodes many values (a source's
 * status or result codec). Where the codec decodes a valid value to that value itself (see decodesToItself),
 * its `is` answers for it: a guard allocates nothing, where decode allocates a result per field. Anything `is`
 * refuses goes through decode, which reports what is wrong.
 */
export function decoderFor<A>(codec: t.Decoder<unknown, A>, what: string, taskId?: string, hint?: string): (value: unknown) => A {
  const decode = (value: unknown): A => decodeOrThrow(codec, value, what, taskId, hint);
  if (!isPlain(codec)) return decode;
  const is = (codec as unknown as { is: t.Is<A> }).is.bind(codec);
  return (value) => (is(value) ? value : decode(value));
}
