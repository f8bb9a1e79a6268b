/**
 * URLs carry credentials in their userinfo (`https://user:pass@host`), and often in query values
 * (`?sig=…`, `?token=…`) and fragments (OAuth implicit flows). A URL that is printed, summarised or
 * written to an output shows its scheme, host, port, path and query parameter names only.
 */

const HIDDEN = '***';

/**
 * `https://***@host/path?token=***#***`, normalised as the URL parser writes it. Text that does not
 * parse as a URL is redacted as redactUrlAsWritten does.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return redactUrlAsWritten(String(url));
  }
  const userinfo = parsed.username !== '' || parsed.password !== '' ? `${HIDDEN}@` : '';
  const query = redactQuery(parsed.search);
  const fragment = parsed.hash === '' ? '' : `#${HIDDEN}`;
  const authority = parsed.host === '' ? '' : `//${userinfo}${parsed.host}`;
  return `${parsed.protocol}${authority}${parsed.pathname}${query}${fragment}`;
}

/**
 * The same redaction by the text's shape, keeping everything else as the user wrote it: for echoing
 * an input that is wrong (and may not parse at all). Hidden: what sits between `//` and `@`, query
 * values, and the fragment.
 */
export function redactUrlAsWritten(text: string): string {
  return (
    text
      // Up to the last `@` before the query: a password may itself hold `/` (it then fails to parse).
      .replace(/^([^/?#]*\/\/)[^?#]*@/, `$1${HIDDEN}@`)
      .replace(/\?[^#]*/, (query) => redactQuery(query))
      .replace(/#.*$/s, `#${HIDDEN}`)
  );
}

/** `?token=***&page=***`: parameter names kept, values hidden; '' stays ''. */
export function redactQuery(search: string): string {
  if (search === '' || search === '?') return '';
  const pairs = search.replace(/^\?/, '').split('&');
  return `?${pairs
    .map((pair) => {
      const at = pair.indexOf('=');
      // A bare `?abc123` may be the credential itself, so it is hidden too.
      if (at < 0) return pair === '' ? '' : HIDDEN;
      return `${pair.slice(0, at)}=${at === pair.length - 1 ? '' : HIDDEN}`;
    })
    .join('&')}`;
}

/** Every http(s) URL inside free text (an error message, a failure reason) redacted as by redactUrl. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>`]+/gi, (match) => {
    // A sentence may end right after a URL: keep trailing punctuation out of it.
    const trail = /[.,;:!?)\]]+$/.exec(match)?.[0] ?? '';
    return redactUrl(match.slice(0, match.length - trail.length)) + trail;
  });
}

/** Replace each secret in `text` with `***`: for text that leaves the runner's masking, such as outputs. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}
