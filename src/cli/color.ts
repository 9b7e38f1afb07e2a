// Colour for the CLI's plan and apply output on a terminal, as terraform colours its plans; off for pipes, NO_COLOR (https://no-color.org) and --no-color (pure).

export interface ColorChoice {
  /** Whether the stream is a terminal. */
  tty: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** `--no-color` was given. */
  noColor: boolean;
}

/** On a terminal unless NO_COLOR is set (to anything non-empty) or --no-color is given; FORCE_COLOR=1 forces it on for pipes. */
export function useColor(choice: ColorChoice): boolean {
  if (choice.noColor) return false;
  if ((choice.env.NO_COLOR ?? "") !== "") return false;
  const force = choice.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return choice.tty && choice.env.TERM !== "dumb";
}

const CODES = { green: 32, red: 31, yellow: 33, cyan: 36, magenta: 35, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

export function paint(text: string, style: Style, on: boolean): string {
  return on ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** The style of one line of renderText's plan, or of an apply progress line, judged by its leading symbol. */
function styleOf(line: string): Style | null {
  const t = line.trimStart();
  if (t.startsWith("-/+") || t.startsWith("+/-")) return "magenta";
  if (t.startsWith("<=")) return "cyan";
  if (t.startsWith("+") || t.startsWith("✓")) return "green";
  if (t.startsWith("-") || t.startsWith("✗") || t.startsWith("error:")) return "red";
  if (t.startsWith("~")) return "yellow";
  if (t.startsWith(">")) return "cyan";
  if (/^(Plan|Apply complete|No changes)/.test(t)) return "bold";
  if (/^(Refused|Apply failed)/.test(t)) return "red";
  return null;
}

/** Colours a block of CLI output line by line; the identity when `on` is false. */
export function colorize(text: string, on: boolean): string {
  if (!on) return text;
  return text
    .split("\n")
    .map((line) => {
      const style = line.trim() === "" ? null : styleOf(line);
      return style === null ? line : paint(line, style, true);
    })
    .join("\n");
}
