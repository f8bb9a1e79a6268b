/** The security-scan inputs whose values are masked (see src/lib/runner/secrets.ts): it takes no credentials. */
export const SECRET_INPUTS = [] as const;
