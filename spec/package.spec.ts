import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import * as core from '../lib/index.js';

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

  it('ships type declarations for both formats, and marks each format for Node', () => {
    expect(existsSync(join(dist, 'esm', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(dist, 'cjs', 'index.d.ts'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dist, 'esm', 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    expect(JSON.parse(readFileSync(join(dist, 'cjs', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('keeps the core entry free of Node-only imports and globals, so it runs in a browser', () => {
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
    visit(join(dist, 'esm', 'index.js'));
    expect(seen.size).toBeGreaterThan(10);
    for (const specifier of bare) {
      expect(specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)).toBe(false);
    }
    expect([...bare].sort()).toEqual(['io-ts/lib/PathReporter.js', 'rxjs']);
  });
});
