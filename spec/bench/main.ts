// npm run bench [name…]: runs the named benchmarks (all when none is named) against dist/.
import { efficiency } from './efficiency';
import { engine } from './engine';
import { http } from './http';
import { scale } from './scale';
import { size } from './size';
import { soak } from './soak';

const benches: Record<string, () => Promise<void>> = { efficiency, engine, http, scale, size, soak };

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const chosen = names.length === 0 ? Object.keys(benches) : names;
  for (const name of chosen) {
    const bench = benches[name];
    if (bench === undefined) {
      process.stderr.write(`npm run bench: no benchmark "${name}"; there are ${Object.keys(benches).join(', ')}.\n`);
      process.exitCode = 2;
      return;
    }
    process.stdout.write(`== ${name}\n`);
    await bench();
  }
}

void main();
