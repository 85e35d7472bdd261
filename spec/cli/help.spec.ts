import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { exitCodeLines, type ExitCodes } from '../../lib/cli/args.js';
import { demoDuration, demoExitCodes, demoUsage } from '../../lib/cli/demo.js';
import { runCli, topExitCodes, usage } from '../../lib/cli/run-cli.js';
import { serveExitCodes, serveUsage } from '../../lib/cli/serve.js';
import { watchExitCodes, watchUsage } from '../../lib/cli/watch.js';
import { fakeIo } from '../helpers/cli.js';

const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
const cliDoc = readFileSync(resolve(__dirname, '../../docs/cli.md'), 'utf8');

const commands = [
  ['watch', watchUsage, watchExitCodes],
  ['serve', serveUsage, serveExitCodes],
  ['demo', demoUsage, demoExitCodes],
] as const;

/** The section of docs/cli.md whose heading starts with `heading`, up to the next heading of its level or above. */
function docSection(heading: string): string {
  const start = cliDoc.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`docs/cli.md has no heading ${heading}`);
  const level = /^#+/.exec(heading)![0]!.length;
  const rest = cliDoc.slice(start + 1);
  const next = rest.slice(1).search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? rest : rest.slice(0, next + 1);
}

/** The exit codes of the "| exit code | meaning |" table in `section`. */
function documentedCodes(section: string): number[] {
  const table = section.slice(section.indexOf('| exit code |'));
  return [...table.matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
}

const codesOf = (codes: ExitCodes) => codes.map(([code]) => code);

describe('poll-task --version', () => {
  it.each([['--version'], ['-V']])('%s prints the version in package.json and exits 0', async (flag) => {
    const fake = fakeIo();
    expect(await runCli([flag], fake.io)).toBe(0);
    expect(fake.out()).toBe(`${manifest.version}\n`);
    expect(fake.err()).toBe('');
  });

  it('exits 4 and says why when no package.json of poll-task is found', async () => {
    const fake = fakeIo();
    const io = { ...fake.io, version: () => undefined };
    expect(await runCli(['--version'], io)).toBe(4);
    expect(fake.out()).toBe('');
    expect(fake.err()).toBe('poll-task: the version is unknown: no package.json of poll-task was found above the command; reinstall the package.\n');
  });
});

describe('help', () => {
  it.each([['--help'], ['-h'], ['help']])('poll-task %s prints the commands, options and exit codes', async (flag) => {
    const fake = fakeIo();
    expect(await runCli([flag], fake.io)).toBe(0);
    expect(fake.out()).toBe(`${usage}\n`);
    expect(fake.out()).toContain(exitCodeLines(topExitCodes));
    expect(fake.out()).toMatch(/-V, --version/);
  });

  describe.each(commands)('of %s', (name, help, codes) => {
    it.each([
      [[name, '--help']],
      [[name, '-h']],
      [['help', name]],
      // Help asked for beside a mistake is still help.
      [[name, '--no-such-option', '-h']],
      [[name, '--help=yes']],
    ])('%j prints the command\'s help and exits 0', async (args) => {
      const fake = fakeIo();
      expect(await runCli(args, fake.io)).toBe(0);
      expect(fake.out()).toBe(`${help}\n`);
      expect(fake.err()).toBe('');
    });

    it('lists the command\'s exit codes, the same ones docs/cli.md lists for it', () => {
      expect(help).toContain(exitCodeLines(codes));
      expect(documentedCodes(docSection(`## \`poll-task ${name}`))).toEqual(codesOf(codes));
    });
  });

  it('docs/cli.md lists the exit codes of poll-task itself', () => {
    expect(documentedCodes(docSection('## Exit codes of `poll-task` itself'))).toEqual(codesOf(topExitCodes));
  });

  it('wraps each exit code\'s meaning at 110 columns, under its first word', () => {
    const long = 'word '.repeat(60).trim();
    const lines = exitCodeLines([[4, long]]).split('\n');
    expect(lines[0]).toBe('Exit codes:');
    expect(lines[1]).toMatch(/^ {2}4 {4}word/);
    for (const line of lines.slice(2)) expect(line).toMatch(/^ {7}word/);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(110);
    expect(lines.slice(1).join(' ').replace(/\s+/g, ' ').trim()).toBe(`4 ${long}`);
  });

  it('the demo\'s help and docs/cli.md say the same duration', () => {
    expect(demoDuration).toMatch(/^about \d+ seconds$/);
    expect(demoUsage.replace(/\s+/g, ' ')).toContain(`Takes ${demoDuration}.`);
    const section = docSection('## `poll-task demo`').replace(/\s+/g, ' ');
    expect(section).toContain(demoDuration);
    // No other length is given for it.
    expect(section.match(/about [\w-]+ seconds/g)).toEqual([demoDuration]);
  });
});

describe('usage errors print the error and one line on how to get help, exit 2', () => {
  /** The two lines of a usage error: what was wrong, and where the help is. */
  const expectUsageError = async (args: string[], command: string | undefined, message: string) => {
    const fake = fakeIo();
    expect(await runCli(args, fake.io)).toBe(2);
    const name = command === undefined ? 'poll-task' : `poll-task ${command}`;
    expect(fake.err()).toBe(`${name}: ${message}\nRun ${name} --help for ${command === undefined ? 'the commands' : 'its options and exit codes'}.\n`);
    expect(fake.out()).toBe('');
  };

  it.each([
    [[], undefined, 'give a command: watch, serve or demo.'],
    [['poll'], undefined, 'unknown command "poll"; the commands are watch, serve and demo.'],
    [['constructor'], undefined, 'unknown command "constructor"; the commands are watch, serve and demo.'],
    [['help', 'poll'], undefined, 'there is no command "poll"; the commands are watch, serve and demo.'],
    [['help', 'watch', 'serve'], undefined, 'help takes one command: watch, serve or demo.'],
    [['\x1b[2J'], undefined, 'unknown command "\\u001b[2J"; the commands are watch, serve and demo.'],
  ] as const)('%j', (args, command, message) => expectUsageError([...args], command, message));

  // The parser's faults, told apart by their code, said in the command's words.
  it.each([
    [['watch', 'http://x/t', '--dialect', 'evo', '--bogus'], 'watch', '--bogus is not an option of this command.'],
    [['watch', 'http://x/t', '--dialect', 'evo', '--intervall', '1s'], 'watch', '--intervall is not an option of this command; did you mean --interval?'],
    [['watch', 'http://x/t', '--dialect', 'evo', '-x'], 'watch', '-x is not an option of this command.'],
    [['watch', 'http://x/t', '--dialect', 'evo', '--interval'], 'watch', '--interval is given without its value.'],
    [['watch', 'http://x/t', '--dialect', 'evo', '--interval', '-5'], 'watch', '--interval needs a value, and is followed by an option; a value that starts with a dash is given as --interval=<value>.'],
    [['watch', 'http://x/t', '--dialect', 'evo', '--json=yes'], 'watch', '--json takes no value; give --json alone.'],
    [['serve', '--port'], 'serve', '--port is given without its value.'],
    [['serve', '8080'], 'serve', 'this command takes no arguments, only options, but was given "8080".'],
    [['serve', '--prot', '8080'], 'serve', '--prot is not an option of this command; did you mean --port?'],
    [['demo', 'now'], 'demo', 'this command takes no arguments, only options, but was given "now".'],
    [['demo', '--fast'], 'demo', '--fast is not an option of this command.'],
    [['demo', '--\x1b]0;owned\x07'], 'demo', '--\\x1b]0;owned\\x07 is not an option of this command.'],
  ] as const)('%j', (args, command, message) => expectUsageError([...args], command, message));

  it('whatever the arguments, a command that cannot run says so in two lines, with no parser message and no control character', async () => {
    const option = fc.oneof(
      fc.constantFrom('--help', '-h', '--json', '--json=1', '--interval', '--interval=1s', '--port', '-', '--', '-x', '-hx', '--=', '---'),
      fc.string({ maxLength: 12 }).map((text) => `--${text}`),
      fc.string({ maxLength: 12 }).map((text) => `-${text}`),
      fc.string({ maxLength: 12, unit: 'binary' }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('demo', 'serve'),
        fc.array(option, { minLength: 1, maxLength: 5 }).filter((args) => args.some((arg) => arg !== '--')),
        async (command, args) => {
          const fake = fakeIo();
          // Every argument list here is help or a mistake: neither command takes an argument, and the values
          // given to serve's options are never a port (so it never starts).
          const code = await runCli([command, ...args.map((arg) => (arg === '--port' ? '--port=x' : arg))], fake.io);
          if (code === 0) {
            expect(fake.out()).toMatch(/^Usage: poll-task/);
            return;
          }
          expect(code).toBe(2);
          const lines = fake.err().split('\n');
          expect(lines).toHaveLength(3);
          expect(lines[0]).toMatch(new RegExp(`^poll-task ${command}: `));
          expect(lines[1]).toBe(`Run poll-task ${command} --help for its options and exit codes.`);
          expect(fake.err()).not.toMatch(/ERR_PARSE_ARGS|Unknown option '|argument missing|does not take an argument|Unexpected argument|To specify an option argument/);
          expect(fake.err()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
