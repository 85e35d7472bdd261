// The one rule for what the library keeps of the headers it sends, used by the HTTP transport and by the
// simulator's request log:
//
// - every header value sent is a secret, except the values of the harmless headers listed below;
// - a secret never comes back in anything the library prints, throws or stores: the text of an answer (its
//   body, before it becomes `raw`, a snapshot, a result or an error message), error messages and `cause` chains
//   are searched for every form the value may come back in, and each one found becomes "[redacted]";
// - the request log records a secret header as "[redacted]", whatever its length.
//
// Values shorter than `minSecretLength` characters are not searched for in text: replacing "1" or "yes"
// everywhere would garble every message and body, and a credential that short protects nothing.

/** What a secret becomes. */
export const redacted = '[redacted]';

/**
 * The shortest header value (or part of one: a token after an auth scheme, a cookie's value) searched for in
 * text. Shorter ones are still never logged by the simulator, but text is not searched for them.
 */
export const minSecretLength = 8;

/**
 * Header names whose values are not secrets: content negotiation, caching, tracing, what the HTTP stack
 * itself adds, and the request date that signing (SigV4) adds. Every other header's value is treated as a
 * credential, whatever its name.
 */
export const harmlessHeaderNames: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-length',
  'content-type',
  'date',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'keep-alive',
  'origin',
  'pragma',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'te',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'user-agent',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-correlation-id',
  'x-request-id',
]);

/** Whether the value of header `name` (any case) is harmless, so it is shown and never searched for. */
export function isHarmlessHeader(name: string): boolean {
  return harmlessHeaderNames.has(name.toLowerCase());
}

/** A request's headers as a log may keep them: every value but a harmless header's is "[redacted]". */
export function loggedHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>>): Record<string, string> {
  const logged: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) logged[name] = isHarmlessHeader(name) ? String(value) : redacted;
  }
  return logged;
}

/** An HTTP token (RFC 9110): what a header name or a method is made of. */
export const tokenName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What is wrong with a header that cannot be sent, in words that never quote its value (it may be a
 * credential), or undefined for a good one. A value holding CR, LF or NUL would split the request or be cut
 * short; one beyond U+00FF cannot be sent as bytes; any other control character but tab (ESC, DEL, VT…) is
 * refused by `fetch`, quoting the value.
 */
export function headerFault(name: string, value: unknown): string | undefined {
  if (!tokenName.test(name)) {
    // The name may hold the value itself ("Authorization: Bearer …" given as a name): quote only up to
    // its first character that a name cannot have.
    const prefix = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*/.exec(name)![0];
    return `header name ${prefix === '' ? '' : `starting ${JSON.stringify(prefix)} `}holds a character a header name cannot have (only letters, digits and !#$%&'*+-.^_\`|~)`;
  }
  if (typeof value !== 'string') return `header "${name}" must be a string, but was ${value === null ? 'null' : typeof value}`;
  // eslint-disable-next-line no-control-regex
  if (/[\r\n\0]/.test(value)) return `header "${name}" holds a line break (CR or LF) or NUL, which would split or cut the request`;
  if (/[^\u0000-\u00ff]/.test(value)) return `header "${name}" holds a character beyond U+00FF, which a header cannot carry`;
  // eslint-disable-next-line no-control-regex
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return `header "${name}" holds a control character (only tab is allowed), which fetch refuses to send`;
  return undefined;
}

function add(into: Set<string>, form: string): void {
  if (form.length >= minSecretLength) into.add(form);
}

const hex4 = (code: number): string => code.toString(16).padStart(4, '0');

/** `value` in every form a server may send it back in: verbatim, JSON-escaped, URL-encoded, HTML-escaped. */
function addForms(into: Set<string>, value: string): void {
  if (value.length < minSecretLength) return;
  add(into, value);
  const json = JSON.stringify(value).slice(1, -1);
  add(into, json);
  // Python's json and others escape everything beyond ASCII; PHP escapes "/".
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${hex4(c.charCodeAt(0))}`);
  add(into, ascii);
  add(into, ascii.replace(/\\u([0-9a-f]{4})/g, (_, code: string) => `\\u${code.toUpperCase()}`));
  add(into, json.replace(/\//g, '\\/'));
  // JSON inside a JSON string: an echoed request body or header dump, serialized twice.
  add(into, JSON.stringify(json).slice(1, -1));
  let url: string | undefined;
  try {
    url = encodeURIComponent(value);
  } catch {
    url = undefined; // a lone surrogate: it cannot be URL-encoded, so it cannot come back so either
  }
  if (url !== undefined) {
    // As encodeURIComponent writes it, with lower-case hex, as RFC 3986 strictly does (!'()* too), and as a
    // form does (x-www-form-urlencoded: space as "+", only *-._ left).
    add(into, url);
    add(into, url.replace(/%[0-9A-F]{2}/g, (code) => code.toLowerCase()));
    const percent = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
    add(into, url.replace(/[!'()*]/g, percent));
    add(into, url.replace(/[!'()~]/g, percent).replace(/%20/g, '+'));
    add(into, url.replace(/%20/g, '+'));
  }
  add(into, value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  add(into, value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#x27;'));
}

/** The parts of a header value that are secrets on their own: the credentials after an auth scheme, cookie values. */
function partsOf(name: string, value: string): string[] {
  const parts: string[] = [];
  // "Bearer <token>", "Basic <base64>", "Digest a=b, c=d", "AWS4-HMAC-SHA256 Credential=…, Signature=…".
  const scheme = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]+(\S[^]*)$/.exec(value);
  const rest = scheme === null ? value : scheme[2]!;
  if (scheme !== null) {
    parts.push(rest);
    if (scheme[1]!.toLowerCase() === 'basic') {
      try {
        const decoded = atob(rest.trim());
        parts.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
      } catch {
        // Not base64: the token itself is the secret.
      }
    }
  }
  // Lists of name=value pairs (auth parameters, cookies): each value is a secret, each whole pair too.
  for (const piece of rest.split(name.toLowerCase() === 'cookie' ? /[\s;]+/ : /[\s,]+/)) {
    if (piece === '') continue;
    parts.push(piece);
    const equals = piece.indexOf('=');
    if (equals > 0) parts.push(piece.slice(equals + 1).replace(/^"(.*)"$/, '$1'));
  }
  return parts;
}

/**
 * The secrets among the headers sent: the value of every header but the harmless ones, its credential parts
 * (the token after an auth scheme, cookie values), each in every form a server may echo it in. Only forms of
 * at least {@link minSecretLength} characters are kept.
 */
export function secretsOf(headers: Readonly<Record<string, string>>): readonly string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (isHarmlessHeader(name) || typeof value !== 'string') continue;
    // fetch strips a value's leading and trailing whitespace: the server sees, and may echo, the rest.
    const trimmed = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    addForms(secrets, value);
    addForms(secrets, trimmed);
    for (const part of partsOf(name, trimmed)) addForms(secrets, part);
  }
  return [...secrets];
}

const maxPasses = 4;

/**
 * `text` with every occurrence of every secret replaced by "[redacted]" (by "***" when a secret is part of
 * "[redacted]"). Overlapping occurrences are replaced as one stretch, so no piece of a secret is left beside
 * another. If the replacements form a secret again with the text around them, the text is searched again; a
 * text that still holds one after a few passes is replaced whole. So is a text that holds one only once its
 * escapes are decoded (see {@link normalised}): where the secret sat in the encoded text cannot be told.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const out = replaceSecrets(text, secrets);
  return holdsNormalised(out, secrets) ? markerFor(secrets) : out;
}

const markerFor = (secrets: readonly string[]): string => (secrets.some((secret) => redacted.includes(secret)) ? '***' : redacted);

function replaceSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  let marker: string | undefined;
  for (let pass = 0; pass < maxPasses; pass++) {
    const spans: Array<[number, number]> = [];
    for (const secret of secrets) {
      for (let at = out.indexOf(secret); at >= 0; at = out.indexOf(secret, at + 1)) spans.push([at, at + secret.length]);
    }
    if (spans.length === 0) return out;
    // A secret inside "[redacted]" itself ("redacted") gets a marker too short to hold any secret.
    marker ??= markerFor(secrets);
    spans.sort((a, b) => a[0] - b[0]);
    let result = '';
    let kept = 0;
    let [start, end] = spans[0]!;
    for (let i = 1; i <= spans.length; i++) {
      const next = spans[i];
      if (next !== undefined && next[0] <= end) {
        end = Math.max(end, next[1]);
        continue;
      }
      result += out.slice(kept, start) + marker;
      kept = end;
      if (next !== undefined) [start, end] = next;
    }
    out = result + out.slice(kept);
  }
  return secrets.some((secret) => out.includes(secret)) ? (marker ?? redacted) : out;
}

/** Named HTML entities decoded by {@link normalised}: ASCII punctuation and the no-break space. */
const namedEntities: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', sol: '/', bsol: '\\', equals: '=', plus: '+', num: '#',
  percnt: '%', colon: ':', semi: ';', comma: ',', period: '.', excl: '!', quest: '?', commat: '@', dollar: '$', lpar: '(',
  rpar: ')', lsqb: '[', lbrack: '[', rsqb: ']', rbrack: ']', lcub: '{', lbrace: '{', rcub: '}', rbrace: '}', verbar: '|',
  vert: '|', ast: '*', midast: '*', Hat: '^', grave: '`', lowbar: '_', tilde: '~', hyphen: '-', dash: '-',
};

const fromCode = (code: number): string => (code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '');

/** The decoders {@link normalised} applies in turn: JSON escapes, HTML entities, percent-escapes. */
const decoders: ReadonlyArray<(text: string) => string> = [
  (text) =>
    text.includes('\\')
      ? text.replace(/\\(?:u([0-9a-fA-F]{4})|(["\\/]))/g, (_, code: string | undefined, char: string | undefined) => (code === undefined ? char! : String.fromCharCode(parseInt(code, 16))))
      : text,
  (text) =>
    text.includes('&')
      ? text.replace(/&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,8}));?/g, (entity, hex: string | undefined, dec: string | undefined, name: string | undefined) =>
          hex !== undefined ? fromCode(parseInt(hex, 16)) : dec !== undefined ? fromCode(Number(dec)) : (namedEntities[name!] ?? entity),
        )
      : text,
  (text) =>
    text.includes('%')
      ? text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
          try {
            return decodeURIComponent(run);
          } catch {
            // Not UTF-8: each byte as the Latin-1 character it names, as a header's bytes are read.
            return run.replace(/%([0-9a-fA-F]{2})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
          }
        })
      : text,
];

const maxDecodeRounds = 3;

/**
 * Decodes `text` (see {@link normalised}) step by step, handing each step's result to `found` until it says
 * yes (then true). With `json` false, JSON escapes are left as they are.
 */
function decodeSteps(text: string, json: boolean, found: (decoded: string) => boolean): boolean {
  let out = text;
  for (let round = 0; round < maxDecodeRounds && /[\\&%]/.test(out); round++) {
    let changed = false;
    for (let step = json ? 0 : 1; step < decoders.length; step++) {
      const next = decoders[step]!(out);
      if (next === out) continue;
      out = next;
      changed = true;
      if (found(out)) return true;
    }
    if (!changed) break;
  }
  return false;
}

/**
 * `text` with its escapes decoded, whatever mix of encoders wrote them: JSON escapes (`\u0026`, `\/`), HTML
 * entities (numeric ones such as `&#x3D;` and `&#61;`, and the named ones for ASCII punctuation such as
 * `&amp;` and `&sol;`) and percent-escapes (`%2B`, UTF-8 or Latin-1), decoded again up to three rounds for
 * text encoded more than once. Bad escapes are left as they are; with `json` false, so are JSON escapes.
 */
export function normalised(text: string, json = true): string {
  let last = text;
  decodeSteps(text, json, (decoded) => ((last = decoded), false));
  return last;
}

/**
 * Whether `text` holds a secret once its escapes are decoded (see {@link normalised}), also with "+" read as a
 * space, as a form writes it: an encoder that escapes some characters and keeps others (Python's `quote()`
 * keeps "/", Handlebars writes "=" as `&#x3D;`) yields forms no list of encoders can foresee.
 */
function holdsNormalised(text: string, secrets: readonly string[]): boolean {
  if (!/[\\&%]/.test(text)) return false;
  // Every step is searched, not only the last: a backslash or a "%" may be the secret's own, not an escape,
  // and a later step would read it as one. For that reason the text is also read with JSON escapes left alone.
  const found = (decoded: string): boolean => secrets.some((secret) => decoded.includes(secret));
  if (decodeSteps(text, true, found) || decodeSteps(text, false, found)) return true;
  return text.includes('+') && decodeSteps(text.replace(/\+/g, ' '), true, found);
}

/**
 * Whether parsing `text` may yield a string holding a secret: it holds one in some form, or it has escapes
 * (`\u0041`, `&#61;`, `%3D`), behind which one could hide. Without either, every string JSON.parse makes of it
 * is a piece of `text` with no escape in it, so none holds a secret.
 */
export function mayHoldSecret(text: string, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  if (/[\\&%]/.test(text)) return true;
  for (const secret of secrets) if (text.includes(secret)) return true;
  return false;
}

function redactLeaf(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value === 'number' && redactText(String(value), secrets) !== String(value)) return redacted;
  return value;
}

/**
 * `value`, a tree JSON.parse made, with every secret in its strings, keys and numbers replaced: in place (the
 * tree is the library's own until it is handed on), without recursion (JSON may nest deeper than the stack).
 */
export function redactJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null) return redactLeaf(value, secrets);
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    for (const key of Object.keys(node)) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
      const clean = redactLeaf(child, secrets);
      const cleanKey = Array.isArray(node) ? key : redactText(key, secrets);
      if (cleanKey !== key) delete node[key];
      // Defined, not assigned: a key "__proto__" must stay a plain property.
      if (cleanKey !== key || clean !== child) Object.defineProperty(node, cleanKey, { value: clean, writable: true, enumerable: true, configurable: true });
    }
  }
  return value;
}

/** How deep a check or copy of an error goes into fields, causes and collections; anything deeper is in doubt. */
const maxWalkDepth = 12;
/** How many values a check or copy of an error visits; an error holding more is in doubt. */
const maxWalkNodes = 2000;
const customInspect = Symbol.for('nodejs.util.inspect.custom');

interface Walk {
  nodes: number;
  readonly seen: Set<object>;
}

/**
 * What `value` shows through `util.inspect`, `JSON.stringify` and its fields: its own keys (strings and
 * symbols, enumerable or not) and their values, what `toJSON` returns, and the items of an iterable (a Map's
 * entries, a Set's members, a `Headers` object's pairs). Undefined when that cannot be told: a getter,
 * `toJSON` or an iterator throws, an iterable holds too many items, or a custom `util.inspect` shows what
 * none of these does.
 */
function visibleParts(value: object, walk: Walk): unknown[] | undefined {
  const parts: unknown[] = [];
  try {
    for (const key of Reflect.ownKeys(value)) {
      parts.push(typeof key === 'symbol' ? key.description : key);
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor !== undefined) parts.push('value' in descriptor ? descriptor.value : descriptor.get === undefined ? undefined : Reflect.get(value, key));
    }
    const { toJSON } = value as { toJSON?: unknown };
    if (typeof toJSON === 'function') parts.push(toJSON.call(value));
    const iterable = !Array.isArray(value) && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    if (iterable) {
      for (const item of value as Iterable<unknown>) {
        if (++walk.nodes > maxWalkNodes) return undefined;
        parts.push(item);
      }
    } else if (typeof (value as Record<symbol, unknown>)[customInspect] === 'function') {
      return undefined;
    }
  } catch {
    return undefined;
  }
  return parts;
}

function holdsSecret(value: unknown, secrets: readonly string[], walk: Walk, depth: number): boolean {
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret)) || holdsNormalised(value, secrets);
  if (typeof value === 'number' || typeof value === 'bigint') return holdsSecret(String(value), secrets, walk, depth);
  if (typeof value === 'symbol') return value.description !== undefined && holdsSecret(value.description, secrets, walk, depth);
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  if (walk.seen.has(value)) return false;
  walk.seen.add(value);
  // Too deep or too large to check: in doubt, it is copied.
  if (depth > maxWalkDepth || ++walk.nodes > maxWalkNodes) return true;
  const parts = visibleParts(value, walk);
  if (parts === undefined || (walk.nodes += parts.length) > maxWalkNodes) return true;
  return parts.some((part) => holdsSecret(part, secrets, walk, depth + 1));
}

function copyOf(value: unknown, secrets: readonly string[], walk: Walk, copies: Map<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value === 'number' || typeof value === 'bigint') return redactText(String(value), secrets) === String(value) ? value : redacted;
  if (typeof value === 'symbol') return value.description === undefined || redactText(value.description, secrets) === value.description ? value : Symbol(redactText(value.description, secrets));
  // A function is not copied: a copy's toJSON would show what the original's does.
  if (typeof value === 'function') return `[Function: ${redactText(String((value as { name?: unknown }).name ?? ''), secrets)}]`;
  if (typeof value !== 'object' || value === null) return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (depth > maxWalkDepth || ++walk.nodes > maxWalkNodes) return redacted;
  const define = (into: object, key: string | symbol, field: unknown, enumerable: boolean): void => {
    const cleanKey = typeof key === 'symbol' ? (copyOf(key, secrets, walk, copies, depth) as symbol) : redactText(key, secrets);
    // Defined, not assigned: a key "__proto__" must stay a plain property.
    Object.defineProperty(into, cleanKey, { value: copyOf(field, secrets, walk, copies, depth + 1), writable: true, configurable: true, enumerable });
  };
  const fields = (from: object, into: object, skip: ReadonlySet<string | symbol>): void => {
    for (const key of Reflect.ownKeys(from)) {
      if (skip.has(key)) continue;
      let field: unknown;
      try {
        field = Reflect.get(from, key);
      } catch {
        field = redacted;
      }
      define(into, key, field, Object.prototype.propertyIsEnumerable.call(from, key));
    }
  };
  try {
    if (value instanceof Error) {
      const copy = new Error(redactText(String(value.message), secrets));
      copies.set(value, copy);
      copy.name = redactText(String(value.name), secrets);
      fields(value, copy, new Set(['message', 'name']));
      return copy;
    }
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      copies.set(value, copy);
      for (const item of value.slice(0, maxWalkNodes)) copy.push(copyOf(item, secrets, walk, copies, depth + 1));
      return copy;
    }
    if (value instanceof Map) {
      const copy = new Map<unknown, unknown>();
      copies.set(value, copy);
      for (const [key, item] of value) {
        if (copy.size >= maxWalkNodes) break;
        copy.set(copyOf(key, secrets, walk, copies, depth + 1), copyOf(item, secrets, walk, copies, depth + 1));
      }
      return copy;
    }
    if (typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      // A Set, a Headers object, any other iterable: its items, copied into an array (or a Set).
      const items: unknown[] = [];
      const copy = value instanceof Set ? new Set<unknown>() : items;
      copies.set(value, copy);
      for (const item of value as Iterable<unknown>) {
        if (items.length >= maxWalkNodes) break;
        items.push(copyOf(item, secrets, walk, copies, depth + 1));
      }
      if (copy instanceof Set) for (const item of items) copy.add(item);
      return copy;
    }
    const copy: Record<string | symbol, unknown> = {};
    copies.set(value, copy);
    fields(value, copy, new Set());
    return copy;
  } catch {
    return redacted;
  }
}

/**
 * `error` itself when nothing it shows holds a secret; otherwise a copy with every secret replaced. What it
 * shows is searched like `util.inspect` and `JSON.stringify` show it: every own field, enumerable or not,
 * symbol-keyed too, what `toJSON` returns, the items of Maps, Sets and other iterables (a `Headers` object),
 * at every depth of nested objects, arrays and `cause` chains (and `errors`, for an AggregateError), each
 * string also with its escapes decoded (see {@link normalised}). An error nested deeper than 12 levels or
 * holding more than 2000 values is copied too, as one that cannot be checked. The copy is a plain `Error`
 * with the same name and fields; objects become plain objects, Maps and Sets stay Maps and Sets, other
 * iterables become arrays of their items, functions (a `toJSON`) their names, and a getter is copied as the
 * value it gave; anything beyond those bounds becomes "[redacted]". A `fetch` that
 * quotes a header value, or keeps the request's headers on its error, then leaks nothing through `cause`,
 * `util.inspect` or `JSON.stringify`.
 */
export function redactError(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !holdsSecret(error, secrets, { nodes: 0, seen: new Set() }, 0)) return error;
  return copyOf(error, secrets, { nodes: 0, seen: new Set() }, new Map(), 0);
}

/** How many distinct header values a source remembers as secrets after it sent them. */
export const maxRememberedValues = 32;

/**
 * The secrets a source has sent, kept after its headers change: a token a headers function rotated away is
 * still a secret when a later answer echoes it. The secrets of the last {@link maxRememberedValues} distinct
 * header values sent (harmless headers aside) are kept; each value's secrets are worked out once.
 */
export class SentSecrets {
  private readonly byValue = new Map<string, readonly string[]>();
  private all: readonly string[] = [];

  /** Records the headers of a request about to be sent, and returns every secret remembered, theirs among them. */
  remember(headers: Readonly<Record<string, string>>): readonly string[] {
    let changed = false;
    for (const [name, value] of Object.entries(headers)) {
      if (isHarmlessHeader(name) || typeof value !== 'string') continue;
      const key = `${name.toLowerCase()}\0${value}`;
      const known = this.byValue.get(key);
      if (known !== undefined) {
        // The newest last: the oldest is forgotten first.
        this.byValue.delete(key);
        this.byValue.set(key, known);
        continue;
      }
      this.byValue.set(key, secretsOf({ [name]: value }));
      changed = true;
      if (this.byValue.size > maxRememberedValues) this.byValue.delete(this.byValue.keys().next().value!);
    }
    if (changed) this.all = [...new Set([...this.byValue.values()].flat())];
    return this.all;
  }

  /** Every secret remembered. */
  secrets(): readonly string[] {
    return this.all;
  }
}

/**
 * `url` as it may be shown or kept in an error: its origin and path, with every secret replaced (a service may
 * put what it was sent into a redirect's target), and without its query and fragment. A path that holds a
 * secret only once decoded is replaced whole; an origin that holds one becomes "[redacted]".
 */
export function redactUrl(url: string, secrets: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url, secrets);
  }
  const origin = redactText(parsed.origin, secrets);
  if (origin !== parsed.origin) return redacted;
  const path = redactText(parsed.pathname, secrets);
  return `${origin}${path.startsWith('/') ? '' : '/'}${path}`;
}
