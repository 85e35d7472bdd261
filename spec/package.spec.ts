import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import * as core from '../lib/index.js';
import * as http from '../lib/http/index.js';
import * as testing from '../lib/testing/index.js';

// These tests check what `npm run build` produced (npm test builds before jest runs).
const root = resolve(__dirname, '..');
const dist = join(root, 'dist');

function runNode(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 15_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const program = (load: string) => `
${load}
const { firstValueFrom } = rxjs;
let n = 0;
const source = p.taskSource({ id: 'pkg', read: async () => (++n < 3 ? { runStatus: 'running', vendorStatus: 'R', raw: {} } : { runStatus: 'succeeded', vendorStatus: 'OK', result: 'done', raw: {} }) });
firstValueFrom(p.pollTask$(source, p.withInterval(0)).pipe(p.toResult())).then((r) => console.log(JSON.stringify({ result: r, reads: n, exports: Object.keys(p).sort() })));
`;

describe('the built package', () => {
  beforeAll(() => {
    if (!existsSync(join(dist, 'cjs', 'index.js')) || !existsSync(join(dist, 'esm', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    }
  });

  it('loads with require and runs a wait', () => {
    const run = runNode(['-e', program("const p = require('poll-task'); const rxjs = require('rxjs');")]);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { result: string; reads: number; exports: string[] };
    expect(out).toMatchObject({ result: 'done', reads: 3 });
    expect(out.exports).toEqual(Object.keys(core).sort());
  });

  it('loads with import and runs a wait', () => {
    const run = runNode(['--input-type=module', '-e', program("import * as p from 'poll-task'; import * as rxjs from 'rxjs';")]);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { result: string; reads: number; exports: string[] };
    expect(out).toMatchObject({ result: 'done', reads: 3 });
    expect(out.exports).toEqual(Object.keys(core).sort());
  });

  it('serves the http and testing entries in both formats, with the same exports as the sources', () => {
    const names = (load: string) => {
      const out = runNode(['-e', `${load}; console.log(JSON.stringify({ http: Object.keys(h).sort(), testing: Object.keys(t).sort() }))`]);
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout) as { http: string[]; testing: string[] };
    };
    const expected = { http: Object.keys(http).sort(), testing: Object.keys(testing).sort() };
    expect(names("const h = require('poll-task/http'), t = require('poll-task/testing')")).toEqual(expected);
    const esm = runNode(['--input-type=module', '-e', "import * as h from 'poll-task/http'; import * as t from 'poll-task/testing'; console.log(JSON.stringify({ http: Object.keys(h).sort(), testing: Object.keys(t).sort() }))"]);
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual(expected);
  });

  it('ships type declarations for both formats, and marks each format for Node and for bundlers', () => {
    for (const entry of ['index.d.ts', 'http/index.d.ts', 'testing/index.d.ts']) {
      expect(existsSync(join(dist, 'esm', entry))).toBe(true);
      expect(existsSync(join(dist, 'cjs', entry))).toBe(true);
    }
    // Bundlers read the nearest package.json: without sideEffects here they keep every module the entry names,
    // and the browser map leaves cross-fetch out of browser bundles (spec/import-graph.spec.ts).
    const browser = { './http/cross-fetch.js': './http/cross-fetch.browser.js' };
    expect(JSON.parse(readFileSync(join(dist, 'esm', 'package.json'), 'utf8'))).toEqual({ type: 'module', sideEffects: false, browser });
    expect(JSON.parse(readFileSync(join(dist, 'cjs', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs', sideEffects: false, browser });
    for (const format of ['esm', 'cjs']) {
      for (const file of [...Object.keys(browser), ...Object.values(browser)]) expect(existsSync(join(dist, format, file))).toBe(true);
    }
  });

  /** The bare imports reachable from an ESM entry file, checking each file for Node-only globals on the way. */
  function importsOf(entry: string): { files: number; bare: string[] } {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      expect({ file, nodeGlobals: code.match(/\b(process|Buffer|__dirname|__filename|require)\b/g) ?? [] }).toEqual({ file, nodeGlobals: [] });
      for (const [, specifier] of code.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) visit(resolve(dirname(file), specifier!));
        else bare.add(specifier!);
      }
    };
    visit(join(dist, 'esm', entry));
    for (const specifier of bare) {
      expect(specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)).toBe(false);
    }
    return { files: seen.size, bare: [...bare].sort() };
  }

  it('keeps the core entry free of Node-only imports and globals, so it runs in a browser', () => {
    const core = importsOf('index.js');
    expect(core.files).toBeGreaterThan(10);
    expect(core.bare).toEqual(['rxjs']);
  });

  it('keeps the http entry browser-safe too', () => {
    expect(importsOf('http/index.js').bare).toEqual(['cross-fetch', 'io-ts', 'rxjs']);
  });
});
