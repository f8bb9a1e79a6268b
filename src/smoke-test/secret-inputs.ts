/**
 * The smoke-test inputs whose values are masked (see src/lib/runner/secrets.ts). `headers` usually carries an
 * Authorization or API-key header; each header value is also masked on its own once parsed.
 */
export const SECRET_INPUTS = ['headers'] as const;
