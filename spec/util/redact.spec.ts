import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  harmlessHeaderNames,
  headerFault,
  isHarmlessHeader,
  loggedHeaders,
  maxRememberedValues,
  minSecretLength,
  mayHoldSecret,
  normalised,
  redactError,
  redactJson,
  redactText,
  redactUrl,
  secretsOf,
  SentSecrets,
} from '../../lib/util/redact.js';

/** Characters that mean something to JSON, regexes, URLs, HTML and shells, and some beyond ASCII. */
const hostile = ['"', '\\', '/', '$', '^', '*', '+', '?', '.', '(', ')', '[', ']', '{', '}', '|', '&', '<', '>', "'", '%', '=', ';', ',', ' ', '\t', 'é', 'ÿ', '€', '😀', '\u2028', 'a', 'Z', '0', '-', '_', '~'];

/** A value worth calling a secret: at least minSecretLength characters, not one character repeated. */
const secretValue = fc
  .string({ unit: fc.oneof(fc.constantFrom(...hostile), fc.string({ minLength: 1, maxLength: 1 })), minLength: minSecretLength, maxLength: 40 })
  .filter((value) => new Set(value).size >= 4 && value.trim() === value);

describe('redact', () => {
  describe('secretsOf', () => {
    it('takes every header value but the harmless ones, and the token after an auth scheme', () => {
      const secrets = secretsOf({ accept: 'application/json', 'content-type': 'application/json', 'x-auth-key': 'k-0123456789', authorization: 'Bearer tok_live_abcdef' });
      expect(secrets).toEqual(expect.arrayContaining(['k-0123456789', 'Bearer tok_live_abcdef', 'tok_live_abcdef']));
      expect(secrets).not.toContain('application/json');
    });

    it('decodes Basic credentials and splits cookies and auth parameters', () => {
      const basic = `Basic ${Buffer.from('someone:pa55word-xyz').toString('base64')}`;
      const secrets = secretsOf({ authorization: basic, cookie: 'session=s3ss10n-value; theme=dark', 'x-sig': 'AWS4-HMAC-SHA256 Credential=AKIA1234/x, Signature=0123456789abcdef' });
      expect(secrets).toEqual(expect.arrayContaining(['someone:pa55word-xyz', 'pa55word-xyz', 's3ss10n-value', '0123456789abcdef', 'AKIA1234/x']));
    });

    it(`leaves out values shorter than ${minSecretLength} characters: searching for them would garble every text`, () => {
      expect(secretsOf({ 'x-api-key': 'k', 'x-tenant': 'abc1234' })).toEqual([]);
      expect(redactText('the key k and the tenant abc1234', secretsOf({ 'x-api-key': 'k', 'x-tenant': 'abc1234' }))).toBe('the key k and the tenant abc1234');
    });

    it('lists in docs/http.md exactly the harmless names it keeps', () => {
      const docs = readFileSync(join(__dirname, '../../docs/http.md'), 'utf8');
      const bullet = /harmless headers: ([^]*?)\.\n/.exec(docs)?.[1] ?? '';
      expect([...bullet.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual([...harmlessHeaderNames].sort());
    });

    it('keeps the list of harmless names in lower case, and matches names in any case', () => {
      for (const name of harmlessHeaderNames) expect(name).toBe(name.toLowerCase());
      expect(isHarmlessHeader('Content-Type')).toBe(true);
      expect(isHarmlessHeader('x-access-key')).toBe(false);
    });
  });

  describe('redactText', () => {
    it('leaves no secret in any form a server may echo it in, whatever the value', () => {
      fc.assert(
        fc.property(secretValue, fc.array(fc.string(), { maxLength: 4 }), (value, filler) => {
          const forms = [
            value,
            JSON.stringify(value).slice(1, -1),
            JSON.stringify(JSON.stringify(value)).slice(1, -1),
            encodeURIComponent(value),
            new URLSearchParams({ v: value }).toString().slice(2),
            value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'),
          ];
          const text = forms.map((form, i) => `${filler[i % Math.max(1, filler.length)] ?? ''}${form}`).join(' ') + value.slice(0, 3);
          const out = redactText(text, secretsOf({ 'x-auth-key': value }));
          for (const form of forms) expect(out).not.toContain(form);
        }),
        { numRuns: 300 },
      );
    });

    it('replaces overlapping secrets as one stretch, leaving no piece of either', () => {
      const secrets = secretsOf({ a: 'xxxxyyyyzzzz', b: 'zzzzwwwwvvvv' });
      expect(redactText('<xxxxyyyyzzzzwwwwvvvv>', secrets)).toBe('<[redacted]>');
    });

    it('never leaves a secret that the replacement itself helps to form', () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1, maxLength: 9 }), fc.string({ minLength: 8, maxLength: 12 }), (tail, other) => {
          // "ed]" + something: "[redacted]" followed by that something would spell it.
          const secrets = secretsOf({ a: `ed]${tail.padEnd(5, '#')}`, b: other });
          const text = `${other}${tail.padEnd(5, '#')} and ${other}`;
          const out = redactText(text, secrets);
          for (const secret of secrets) expect(out).not.toContain(secret);
        }),
      );
    });

    it('uses a marker no secret is part of, so a secret "redacted" does not come back through it', () => {
      const out = redactText('token redacted here', secretsOf({ 'x-key': 'redacted' }));
      expect(out).not.toContain('redacted');
    });

    it('hands back the very string when it holds no secret', () => {
      const text = 'nothing to see';
      expect(redactText(text, secretsOf({ 'x-key': 'abcdefghij' }))).toBe(text);
    });
  });

  describe('redactJson', () => {
    /** Every string and key in `value`. */
    const stringsOf = (value: unknown): string[] => {
      if (typeof value === 'string') return [value];
      if (typeof value !== 'object' || value === null) return [String(value)];
      return Object.entries(value).flatMap(([key, child]) => [key, ...stringsOf(child)]);
    };
    /** JSON with every character of every string written as a \u escape: a hostile server hiding a value. */
    const escaped = (value: unknown): string => {
      const u = (s: string) => `"${s.split('').map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
      if (typeof value === 'string') return u(value);
      if (Array.isArray(value)) return `[${value.map(escaped).join(',')}]`;
      if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${u(k)}:${escaped(v)}`).join(',')}}`;
      return JSON.stringify(value);
    };

    it('replaces secrets in strings, keys and numbers, also behind \\u escapes', () => {
      fc.assert(
        fc.property(secretValue, fc.jsonValue({ maxDepth: 3 }), fc.boolean(), (value, around, hide) => {
          const body = { status: 'RUNNING', echo: { 'x-auth-key': value }, [value]: [around, `before ${value} after`], around };
          const text = hide ? escaped(body) : JSON.stringify(body);
          const secrets = secretsOf({ 'x-auth-key': value });
          expect(mayHoldSecret(text, secrets)).toBe(true);
          const clean = redactJson(JSON.parse(text), secrets);
          for (const piece of stringsOf(clean)) expect(piece).not.toContain(value);
        }),
        { numRuns: 200 },
      );
    });

    it('replaces a number whose digits are a secret', () => {
      expect(redactJson(JSON.parse('{"n":123456789012}'), secretsOf({ 'x-account': '123456789012' }))).toEqual({ n: '[redacted]' });
    });

    it('keeps a "__proto__" key a plain property, and pollutes nothing', () => {
      const clean = redactJson(JSON.parse('{"__proto__":{"polluted":"abcdefghij"},"abcdefghij":1}'), secretsOf({ 'x-key': 'abcdefghij' })) as Record<string, unknown>;
      expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(clean)).toEqual(['__proto__', '[redacted]']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('walks JSON nested deeper than the stack would allow', () => {
      const depth = 200_000;
      const parsed = JSON.parse(`${'['.repeat(depth)}"abcdefghij"${']'.repeat(depth)}`) as unknown;
      let inner = redactJson(parsed, secretsOf({ 'x-key': 'abcdefghij' }));
      for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
      expect(inner).toBe('[redacted]');
    });

    it('says whether a text may hide a secret: one in clear, or an escape', () => {
      const secrets = secretsOf({ 'x-key': 'abcdefghij' });
      expect(mayHoldSecret('{"a":"plain"}', secrets)).toBe(false);
      expect(mayHoldSecret('{"a":"\\u0061"}', secrets)).toBe(true);
      expect(mayHoldSecret('{"a":"abcdefghij"}', secrets)).toBe(true);
      expect(mayHoldSecret('{"a":"abcdefghij"}', [])).toBe(false);
    });
  });

  describe('redactError', () => {
    it('hands back the very error when its chain holds no secret', () => {
      const error = new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
      expect(redactError(error, secretsOf({ 'x-key': 'abcdefghij' }))).toBe(error);
    });

    it('copies a chain that quotes a secret, with every secret replaced at every depth', () => {
      fc.assert(
        fc.property(secretValue, fc.integer({ min: 0, max: 12 }), (value, depth) => {
          let error: unknown = Object.assign(new Error(`Headers.append: "${value}" is an invalid header value.`), { code: 'UND_ERR', header: value });
          for (let i = 0; i < depth; i++) error = i % 3 === 2 ? new AggregateError([error, value], `wrapped ${i}`) : new TypeError(`level ${i}`, { cause: i % 2 === 0 ? error : { detail: value, error } });
          const clean = redactError(error, secretsOf({ 'x-key': value }));
          const shown = inspect(clean, { depth: Infinity, showHidden: true }) + String(clean) + JSON.stringify(clean);
          expect(shown).not.toContain(value);
          expect(shown).not.toContain(JSON.stringify(value).slice(1, -1));
          expect(shown).not.toContain(inspect(value).slice(1, -1));
        }),
        { numRuns: 100 },
      );
    });

    it('keeps the name and the fields of the copy', () => {
      const error = Object.assign(new TypeError('bad value abcdefghij'), { code: 'ERR_INVALID_CHAR' });
      const clean = redactError(error, secretsOf({ 'x-key': 'abcdefghij' })) as Error & { code?: string };
      expect(clean).not.toBe(error);
      expect([clean.name, clean.message, clean.code]).toEqual(['TypeError', 'bad value [redacted]', 'ERR_INVALID_CHAR']);
    });
  });

  describe('headerFault', () => {
    it('refuses CR, LF and NUL anywhere in a value, naming the header and never quoting the value', () => {
      fc.assert(
        fc.property(secretValue, fc.constantFrom('\r', '\n', '\0', '\r\n'), fc.nat(), (value, bad, at) => {
          const given = value.slice(0, at % value.length) + bad + value.slice(at % value.length);
          const fault = headerFault('x-auth-key', given);
          expect(fault).toContain('"x-auth-key"');
          expect(fault).not.toContain(value.slice(0, 4) + value.slice(4, 8));
        }),
      );
    });

    it('refuses a character beyond U+00FF, a value that is not a string, and a name that is not a token', () => {
      expect(headerFault('x-key', 'caf\u20ac-token')).toBe('header "x-key" holds a character beyond U+00FF, which a header cannot carry');
      expect(headerFault('x-key', 42)).toBe('header "x-key" must be a string, but was number');
      expect(headerFault('Authorization: Bearer abcdefgh', 'x')).toBe(
        'header name starting "Authorization" holds a character a header name cannot have (only letters, digits and !#$%&\'*+-.^_`|~)',
      );
      expect(headerFault('x-key', 'caf\u00e9 ok\t')).toBeUndefined();
    });

    it('refuses every other control character but tab (ESC, DEL, VT, SOH…), naming the header and never quoting the value', () => {
      fc.assert(
        fc.property(secretValue.filter((value) => /^[\t\x20-\x7e\x80-\xff]+$/.test(value)), fc.oneof(fc.integer({ min: 1, max: 0x1f }).filter((c) => c !== 9 && c !== 10 && c !== 13), fc.constant(0x7f)), fc.nat(), (value, code, at) => {
          const given = value.slice(0, at % value.length) + String.fromCharCode(code) + value.slice(at % value.length);
          expect(headerFault('x-auth-key', given)).toBe('header "x-auth-key" holds a control character (only tab is allowed), which fetch refuses to send');
        }),
      );
      for (let code = 0x20; code <= 0xff; code++) if (code !== 0x7f) expect(headerFault('x-key', `value-${String.fromCharCode(code)}`)).toBeUndefined();
    });
  });

  describe('escaped echoes', () => {
    /** One character as some encoder writes it: a JSON escape, a percent-escape, an HTML entity, or as it is. */
    const forms: ReadonlyArray<(c: string) => string> = [
      (c) => c,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      (c) => encodeURIComponent(c),
      (c) => `&#x${c.charCodeAt(0).toString(16)};`,
      (c) => `&#${c.charCodeAt(0)};`,
    ];
    /** The characters that start an escape, as each encoder writes them: otherwise "%" before "41" reads as "A". */
    const escapeStarts: Readonly<Record<string, string>> = { '\\': '\\\\', '%': '%25', '&': '&amp;' };
    const ascii = secretValue.filter((value) => /^[\x21-\x7e]+$/.test(value));

    it('decodes every mix of JSON escapes, HTML entities and percent-escapes, and leaves bad ones as they are', () => {
      fc.assert(
        fc.property(ascii, fc.array(fc.nat({ max: forms.length - 1 }), { minLength: 1 }), (value, choices) => {
          const encoded = [...value].map((c, i) => escapeStarts[c] ?? forms[choices[i % choices.length]!]!(c)).join('');
          // In clear, it is replaced where it stands; escaped, the whole text is. A part of the value that is a
          // secret of its own (split at "=" or "%", say) may be replaced where it stands, leaving a rest that holds
          // no secret in any form.
          const secrets = secretsOf({ 'x-key': value });
          const out = redactText(`said: ${encoded}.`, secrets);
          expect(out).toContain('[redacted]');
          expect(secrets.filter((secret) => out.includes(secret) || normalised(out).includes(secret))).toEqual([]);
        }),
        { numRuns: 500 },
      );
      expect(normalised('a&amp;b&#x3D;c&#61;d&sol;e%2Bf%zz&bogus;%E2%82%AC')).toBe('a&b=c=d/e+f%zz&bogus;€');
      expect(normalised('%FF%E2')).toBe('\u00ff\u00e2');
      expect(normalised('%2526')).toBe('&');
    });

    it('leaves a text alone when it holds no secret, however it is escaped', () => {
      const text = 'ok &amp; %41 \\u0042';
      expect(redactText(text, secretsOf({ 'x-key': 'k-0123456789' }))).toBe(text);
    });
  });

  describe('redactError', () => {
    const secret = 'tok_9f8e7d6c5b4a3210';
    const secrets = secretsOf({ 'x-access-key': secret });
    const json = (value: unknown): string => {
      try {
        return JSON.stringify(value) ?? '';
      } catch {
        return ''; // a cycle: JSON.stringify shows nothing
      }
    };
    const shows = (value: unknown): string => `${inspect(value, { depth: Infinity, showHidden: true })} ${json(value)} ${String(value)}`;

    it.each<[string, () => unknown]>([
      ['an object field', () => Object.assign(new Error('failed'), { options: { headers: { 'x-access-key': secret } } })],
      ['an array of pairs', () => Object.assign(new Error('failed'), { requestHeaders: [['x-access-key', secret]] })],
      ['a Map', () => Object.assign(new Error('failed'), { headers: new Map([['x-access-key', secret]]) })],
      ['a Set', () => Object.assign(new Error('failed'), { values: new Set([secret]) })],
      ['a Headers object', () => Object.assign(new Error('failed'), { headers: new Headers({ 'x-access-key': secret }) })],
      ['a symbol-keyed field', () => Object.assign(new Error('failed'), { [Symbol('request')]: `x-access-key: ${secret}` })],
      ['a symbol key', () => Object.assign(new Error('failed'), { [Symbol(secret)]: 1 })],
      ['a getter', () => Object.defineProperty(new Error('failed'), 'request', { get: () => ({ secret }), enumerable: true })],
      ['a toJSON', () => Object.assign(new Error('failed'), { request: { toJSON: () => secret } })],
      ['a plain object thrown', () => ({ message: 'failed', headers: { 'x-access-key': secret } })],
      ['a percent-encoded field', () => Object.assign(new Error('failed'), { url: `/x/${encodeURIComponent(secret).replace('_', '%5F')}` })],
      ['nesting deeper than the bound', () => Object.assign(new Error('failed'), { deep: JSON.parse(`${'['.repeat(50)}${JSON.stringify(secret)}${']'.repeat(50)}`) as unknown })],
      ['a cycle', () => {
        const error = Object.assign(new Error('failed'), { self: undefined as unknown, headers: new Map([['k', secret]]) });
        error.self = error;
        return error;
      }],
    ])('copies an error that holds a secret in %s, clean in every view', (_where, make) => {
      const error = make();
      const copy = redactError(error, secrets);
      expect(copy).not.toBe(error);
      expect(shows(copy)).not.toContain(secret);
      expect(shows(copy)).not.toContain(secret.slice(4));
    });

    it('keeps an error with Maps, Sets, symbols and nesting as it is when none holds a secret', () => {
      const error = Object.assign(new Error('failed'), { headers: new Map([['accept', 'json']]), set: new Set(['a']), [Symbol('s')]: { deep: [[['x']]] } });
      expect(redactError(error, secrets)).toBe(error);
    });

    it('copies an error too large to check, as one it cannot tell is clean', () => {
      const error = Object.assign(new Error('failed'), { many: Array.from({ length: 5000 }, (_, i) => i) });
      const copy = redactError(error, secrets) as Error;
      expect(copy).not.toBe(error);
      expect(copy.message).toBe('failed');
    });
  });

  describe('SentSecrets', () => {
    it(`keeps the secrets of the last ${maxRememberedValues} distinct values sent, the newest sent last`, () => {
      const memory = new SentSecrets();
      const value = (i: number): string => `token-value-${String(i).padStart(4, '0')}`;
      for (let i = 0; i < maxRememberedValues; i++) memory.remember({ 'x-key': value(i), accept: 'application/json' });
      expect(memory.secrets()).toContain(value(0));
      expect(memory.secrets()).not.toContain('application/json');
      memory.remember({ 'x-key': value(0) }); // sent again: the newest now
      memory.remember({ 'x-key': value(maxRememberedValues) });
      expect(memory.secrets()).toContain(value(0));
      expect(memory.secrets()).not.toContain(value(1));
      expect(memory.remember({ 'x-key': value(maxRememberedValues) })).toBe(memory.secrets());
    });
  });

  describe('redactUrl', () => {
    it('replaces a secret in the path, in whatever form, keeps the origin and drops the query', () => {
      const secrets = secretsOf({ 'x-key': 'sk_live_AbC/dEf+GhI&jk==' });
      expect(redactUrl(`https://api.example.com/echo/${encodeURIComponent('sk_live_AbC/dEf+GhI&jk==')}/status?k=1`, secrets)).toBe('https://api.example.com/echo/[redacted]/status');
      expect(redactUrl(`https://api.example.com/echo/${encodeURIComponent('sk_live_AbC/dEf+GhI&jk==').replace(/%2F/g, '/')}/status`, secrets)).toBe('https://api.example.com/[redacted]');
      expect(redactUrl('https://api.example.com/tasks/1', secrets)).toBe('https://api.example.com/tasks/1');
    });
  });

  it('logs every header value as "[redacted]" but the harmless ones, whatever its length', () => {
    expect(loggedHeaders({ 'x-goog-api-key': 'k', 'x-session-id': 's', 'x-foo-signature': 'sig', accept: 'application/json', host: '127.0.0.1:1', 'x-multi': ['a', 'b'] })).toEqual({
      'x-goog-api-key': '[redacted]',
      'x-session-id': '[redacted]',
      'x-foo-signature': '[redacted]',
      accept: 'application/json',
      host: '127.0.0.1:1',
      'x-multi': '[redacted]',
    });
  });
});
