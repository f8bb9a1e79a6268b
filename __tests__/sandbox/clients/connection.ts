import { readFileSync } from 'node:fs';
import type { Connection } from '../helpers.js';

/** For client scripts: the sandbox connection, from the file the test passes in SANDBOX_CONNECTION. */
export function connection(): Connection {
  const file = process.env['SANDBOX_CONNECTION'];
  if (!file) throw new Error('SANDBOX_CONNECTION is not set');
  return JSON.parse(readFileSync(file, 'utf8')) as Connection;
}

/** Print the script's result as the last JSON line; errors become `{error}` with a non-zero exit. */
export async function report(body: () => Promise<Record<string, unknown>>): Promise<void> {
  try {
    console.log(JSON.stringify(await body()));
  } catch (error) {
    const e = error as Error & { code?: string; statusCode?: number };
    console.log(JSON.stringify({ error: e.message, name: e.name, code: e.code, statusCode: e.statusCode }));
    process.exitCode = 1;
  }
}
