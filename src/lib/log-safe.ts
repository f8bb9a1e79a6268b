/**
 * Text that reaches a log line comes from inputs, HTTP responses and tools, none of which we control.
 * The runner reads every stdout line as a possible workflow command: `::name::` at the start of a line
 * (after leading whitespace) and the legacy `##[name]` anywhere in it. A raw newline starts a new line;
 * bidi overrides and zero-width characters make a line read differently from what it says. So every
 * such value is escaped here before it is printed.
 */

/** Control (Cc) and format (Cf: bidi overrides, zero-width, BOM, soft hyphen) characters, plus U+2028/9. */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const UNSAFE_ONE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `U+000A`: how an error message names a character the user cannot see. */
export function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first control or invisible formatting character in `text`, named as `U+XXXX`; undefined if none. */
export function findControlCharacter(text: string): string | undefined {
  const match = UNSAFE_ONE.exec(text);
  return match ? codePointName(match[0]) : undefined;
}

/** Every control and invisible formatting character written out as `\n`, `\u202e`, ... */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/**
 * One physical log line that the runner cannot read as a workflow command: control characters escaped,
 * a leading `::` (after whitespace) and any `##[` broken with a backslash.
 */
export function safeLogLine(text: string): string {
  return escapeControlCharacters(text)
    .replace(/^(\s*)::/u, '$1\\::')
    .replace(/##\[/g, '##\\[');
}
