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

const tokenName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What is wrong with a header that cannot be sent, in words that never quote its value (it may be a
 * credential), or undefined for a good one. A value holding CR, LF or NUL would split the request or be cut
 * short; one beyond U+00FF cannot be sent as bytes; `fetch` refuses both, quoting the value.
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
 * text that still holds one after a few passes is replaced whole.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  let marker: string | undefined;
  for (let pass = 0; pass < maxPasses; pass++) {
    const spans: Array<[number, number]> = [];
    for (const secret of secrets) {
      for (let at = out.indexOf(secret); at >= 0; at = out.indexOf(secret, at + 1)) spans.push([at, at + secret.length]);
    }
    if (spans.length === 0) return out;
    // A secret inside "[redacted]" itself ("redacted") gets a marker too short to hold any secret.
    marker ??= secrets.some((secret) => redacted.includes(secret)) ? '***' : redacted;
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

/**
 * Whether parsing `text` may yield a string holding a secret: it holds one in some form, or it has escapes
 * (`\u0041`), behind which one could hide. Without either, every string JSON.parse makes of it is a piece of
 * `text`, so none holds a secret.
 */
export function mayHoldSecret(text: string, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  if (text.includes('\\')) return true;
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

const maxCauseDepth = 8;

function textsOf(error: object): string[] {
  const texts: string[] = [];
  for (const key of Object.getOwnPropertyNames(error)) {
    const field = (error as Record<string, unknown>)[key];
    if (typeof field === 'string') texts.push(field);
  }
  return texts;
}

function holdsSecret(value: unknown, secrets: readonly string[], depth: number): boolean {
  if (depth > maxCauseDepth) return true;
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret));
  if (typeof value !== 'object' || value === null) return false;
  if (!(value instanceof Error)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = String(value);
    }
    return json !== undefined && holdsSecret(json, secrets, depth);
  }
  if (textsOf(value).some((text) => holdsSecret(text, secrets, depth))) return true;
  const { cause } = value as { cause?: unknown };
  if (cause !== undefined && holdsSecret(cause, secrets, depth + 1)) return true;
  const { errors } = value as { errors?: unknown };
  return Array.isArray(errors) && errors.some((inner) => holdsSecret(inner, secrets, depth + 1));
}

function copyOf(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (!holdsSecret(value, secrets, depth)) return value;
  if (depth > maxCauseDepth) return redacted;
  if (typeof value === 'string') return redactText(value, secrets);
  if (!(value instanceof Error)) {
    let json: string;
    try {
      json = JSON.stringify(value) ?? String(value);
    } catch {
      json = String(value);
    }
    return redactText(json, secrets);
  }
  const copy = new Error(redactText(value.message, secrets));
  for (const key of Object.getOwnPropertyNames(value)) {
    if (key === 'message' || key === 'cause' || key === 'errors') continue;
    const field = (value as unknown as Record<string, unknown>)[key];
    if (typeof field === 'string') Object.defineProperty(copy, key, { value: redactText(field, secrets), writable: true, configurable: true, enumerable: key !== 'stack' });
    else if (typeof field !== 'object' || field === null) Object.defineProperty(copy, key, { value: field, writable: true, configurable: true, enumerable: true });
  }
  copy.name = redactText(value.name, secrets);
  const { cause, errors } = value as { cause?: unknown; errors?: unknown };
  if (cause !== undefined) Object.defineProperty(copy, 'cause', { value: copyOf(cause, secrets, depth + 1), writable: true, configurable: true });
  if (Array.isArray(errors)) Object.defineProperty(copy, 'errors', { value: errors.map((inner) => copyOf(inner, secrets, depth + 1)), writable: true, configurable: true });
  return copy;
}

/**
 * `error` itself when neither it nor its `cause` chain (and `errors`, for an AggregateError) holds a secret;
 * otherwise a plain `Error` copy with the same name, fields and chain, every secret replaced. A `fetch` that
 * quotes a header value in its message then leaks nothing through `cause`, `util.inspect` or `JSON.stringify`.
 */
export function redactError(error: unknown, secrets: readonly string[]): unknown {
  return secrets.length === 0 ? error : copyOf(error, secrets, 0);
}
