import type { Readable } from 'node:stream';

/**
 * Read a body stream to its end, refusing more than `maxBytes` (the error `tooLarge` makes), and stop when
 * the signal aborts (rejecting with its reason). The stream is destroyed whenever the read ends early.
 */
export function readCapped(
  stream: Readable,
  maxBytes: number,
  signal: AbortSignal,
  tooLarge: (maxBytes: number) => Error,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (error === undefined) resolve(Buffer.concat(chunks, size));
      else {
        // Some streams (undici's body) emit an abort error when destroyed: nobody is listening any more.
        stream.on('error', () => {});
        stream.destroy();
        reject(error);
      }
    };
    const onAbort = (): void => done(signal.reason);
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > maxBytes) done(tooLarge(maxBytes));
      else chunks.push(buffer);
    };
    const onEnd = (): void => done();
    const onError = (error: unknown): void => done(signal.aborted ? signal.reason : error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
