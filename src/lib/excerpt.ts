import { escapeControlCharacters } from './log-safe.js';

/**
 * How an error line shows a value the user got wrong: enough to recognise it, never all of it. A wrong
 * value can be 12,000 characters of pasted text, hold a registry password in `user:pass@host`, or carry
 * control and bidi characters that would change what the log line says.
 */

/** Characters of a bad value an error line shows before cutting it off with `…`. */
export const EXCERPT_CHARS = 60;

const HIDDEN = '***';

/** A digest after `@` (`app@sha256:…`) is part of an image reference, not the end of a userinfo. */
const DIGEST_AFTER_AT = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]*$/;

/**
 * The value with any userinfo hidden: `https://user:pw@host/x` and `user:pw@host/app` become
 * `https://***@host/x` and `***@host/app`. Everything up to the last `@` that is not followed by a
 * digest is hidden, so a password holding `/` or `@` is hidden whole.
 */
export function hideUserinfo(value: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value)?.[0] ?? '';
  let cut = -1;
  for (let at = value.indexOf('@', scheme.length); at >= 0; at = value.indexOf('@', at + 1))
    if (!DIGEST_AFTER_AT.test(value.slice(at + 1))) cut = at;
  return cut < 0 ? value : `${scheme}${HIDDEN}${value.slice(cut)}`;
}

/**
 * A bad value as an error line shows it, in double quotes: userinfo hidden, whitespace runs as one
 * space, at most `max` characters then `…`, and control and format characters written as `\uXXXX`.
 */
export function quoteExcerpt(value: string, max: number = EXCERPT_CHARS): string {
  const oneLine = hideUserinfo(value).replace(/\s+/g, ' ');
  const chars = Array.from(oneLine);
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : oneLine;
  // JSON escapes quotes and C0 controls; log-safe the rest (DEL, C1, bidi overrides, zero-width).
  return escapeControlCharacters(JSON.stringify(cut));
}
