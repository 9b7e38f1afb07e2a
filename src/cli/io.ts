// What a CLI command reads and writes: its output streams, environment, working directory and terminal.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether a person can answer the prompt. */
  interactive: boolean;
  /** Asks a question on the terminal; only called when `interactive`. */
  ask(question: string): Promise<string>;
  /** Whether `out` is a terminal (colour); default false. */
  tty?: boolean;
}
