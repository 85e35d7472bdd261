/** Where the command writes, and what it reads from its surroundings: the process, or a test's stand-ins. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** The environment (headers may come from POLL_TASK_HEADER_* variables). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Registers what to do on Ctrl-C (SIGINT); returns a function that unregisters it. */
  onInterrupt(handler: () => void): () => void;
}

/** An output stream, as much of one as the command uses. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The real process's streams, environment and SIGINT. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
