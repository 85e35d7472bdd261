// Import cost: what poll-task adds to an app's bundle. esbuild bundles three entry files against the built
// dist/esm (minified, rxjs external, for browsers); each bundle is gzipped with zlib and compared with its
// target, and esbuild's metafile says which of io-ts, fp-ts and cross-fetch went in. Figures go to
// docs/benchmarks.md.
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, version, type Metafile } from 'esbuild';
import { table, writeSection } from './report';

const root = resolve(__dirname, '..'); // from .bench/, where this runs
const KB = 1000; // kB as bundlephobia and gzip-size print them
const GZIP_LEVEL = 9; // gzip -9, as gzip-size (bundlephobia, size-limit's gzip mode) uses
/** The packages a bundle is checked for, by path in the metafile's inputs. */
const PACKAGES = ['io-ts', 'fp-ts', 'cross-fetch'] as const;

interface Bundle {
  readonly label: string;
  /** The entry file's text, resolved from the project's root. */
  readonly contents: string;
  /** The most gzipped bytes it may take, or none. */
  readonly targetBytes?: number;
  /** Packages that must not be in it. */
  readonly without: readonly (typeof PACKAGES)[number][];
}

const bundles: readonly Bundle[] = [
  {
    label: '`pollTask$`, `withBackoff`, `taskSource` from `poll-task`',
    contents: "export { pollTask$, withBackoff, taskSource } from './dist/esm/index.js';",
    targetBytes: 8 * KB,
    without: ['io-ts', 'fp-ts', 'cross-fetch'],
  },
  {
    label: 'the whole core entry (`export * from \'poll-task\'`)',
    contents: "export * from './dist/esm/index.js';",
    targetBytes: 15 * KB,
    without: ['io-ts', 'fp-ts', 'cross-fetch'],
  },
  {
    label: 'the whole `poll-task/http` entry',
    contents: "export * from './dist/esm/http/index.js';",
    without: ['cross-fetch'],
  },
];

interface Measured {
  readonly minified: number;
  readonly gzipped: number;
  /** Per package: how many of its files esbuild read for the bundle, and the minified bytes they kept. */
  readonly packages: Record<(typeof PACKAGES)[number], { readonly files: number; readonly bytes: number }>;
  /** The minified bytes each input file contributes, largest first. */
  readonly inputs: readonly (readonly [string, number])[];
}

async function measure(bundle: Bundle): Promise<Measured> {
  const result = await build({
    stdin: { contents: bundle.contents, resolveDir: root, sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['rxjs'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values((result.metafile as Metafile).outputs)[0]!;
  const inputs = Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => [path, bytesInOutput] as const)
    .sort((a, b) => b[1] - a[1]);
  // Every input esbuild read counts, whether or not tree shaking kept bytes of it: it is in the import graph.
  const read = Object.keys(result.metafile!.inputs);
  const packages = Object.fromEntries(
    PACKAGES.map((name) => {
      const files = (path: string) => path.includes(`node_modules/${name}/`);
      return [name, { files: read.filter(files).length, bytes: inputs.filter(([path]) => files(path)).reduce((sum, [, bytes]) => sum + bytes, 0) }];
    }),
  ) as Measured['packages'];
  return { minified: code.length, gzipped: gzipSync(code, { level: GZIP_LEVEL }).length, packages, inputs };
}

const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} kB`;
const inBundle = ({ files, bytes }: { files: number; bytes: number }) => (files === 0 ? 'not in' : `in: ${files} file${files === 1 ? '' : 's'}, ${kb(bytes)} minified`);

export async function size(): Promise<void> {
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const breakdowns: string[] = [];
  for (const bundle of bundles) {
    const measured = await measure(bundle);
    const leaks = bundle.without.filter((name) => measured.packages[name].files > 0);
    const holds = (bundle.targetBytes === undefined || measured.gzipped <= bundle.targetBytes) && leaks.length === 0;
    rows.push([
      bundle.label,
      kb(measured.minified),
      `${kb(measured.gzipped)} (${measured.gzipped.toLocaleString('en')} bytes)`,
      bundle.targetBytes === undefined ? '—' : `≤ ${kb(bundle.targetBytes)}`,
      ...PACKAGES.map((name) => inBundle(measured.packages[name])),
      holds ? 'holds' : 'MISSED',
    ]);
    const target = bundle.targetBytes === undefined ? '' : `at most ${kb(bundle.targetBytes)} gzipped (${kb(measured.gzipped)})`;
    const without = `without ${bundle.without.join(', ')}${leaks.length === 0 ? '' : ` (${leaks.join(', ')} in it)`}`;
    verdicts.push(`- ${bundle.label}: ${[target, without].filter((part) => part !== '').join(', ')}: ${holds ? 'holds' : 'MISSED'}.`);
    const top = measured.inputs.filter(([, bytes]) => bytes > 0).slice(0, 12);
    const rest = measured.inputs.slice(top.length).reduce((sum, [, bytes]) => sum + bytes, 0);
    breakdowns.push(
      `${bundle.label}, minified bytes by input file (before gzip; the largest ${top.length}, then the rest):`,
      top.map(([path, bytes]) => `${path} ${bytes.toLocaleString('en')}`).join(', ') + `; the rest ${rest.toLocaleString('en')}.`,
    );
  }
  const text = [
    `esbuild ${version}, bundling \`dist/esm\` (\`bundle\`, \`minify\`, \`format: 'esm'\`, \`platform: 'browser'\`, \`external: ['rxjs']\`); gzip by Node's zlib at level ${GZIP_LEVEL}; 1 kB = ${KB.toLocaleString('en')} bytes; Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. A package is "in" when any of its files is an input of the bundle (esbuild's metafile).`,
    '',
    table(['bundle', 'minified', 'gzipped', 'target', 'io-ts', 'fp-ts', 'cross-fetch', ''], rows),
    '',
    ...verdicts,
  ].join('\n');
  process.stdout.write(`${text}\n\n${breakdowns.join('\n')}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0') writeSection('benchmarks.md', 'size', text);
}
