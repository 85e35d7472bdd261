import { packageVersion } from './version.js';

/** Where the command writes, and what it reads from its surroundings: the process, or a test's stand-ins. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** The environment (headers may come from POLL_TASK_HEADER_* variables). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Registers what to do on Ctrl-C (SIGINT) or SIGTERM, told which of the two came (SIGINT when not said);
   * returns a function that unregisters it.
   */
  onInterrupt(handler: (signal?: InterruptSignal) => void): () => void;
  /** The installed package's version, for `--version`; undefined when it cannot be found. */
  version(): string | undefined;
}

/** The signals the command handles: Ctrl-C (exit 130) and SIGTERM (exit 143). */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** An output stream, as much of one as the command uses. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The real process's streams, environment, SIGINT and SIGTERM. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // The running script is the bin (dist/cjs/cli/main.js, or dist/esm's): its package.json says the version.
    version: () => (process.argv[1] === undefined ? undefined : packageVersion(process.argv[1])),
    onInterrupt(handler) {
      const onSigint = (): void => handler('SIGINT');
      const onSigterm = (): void => handler('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      return () => {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      };
    },
  };
}
