import { brotliCompressSync, gzipSync } from 'node:zlib';
import { sleep, startServer, type TestServer } from './servers.js';

/** Answers 503 until `warmupMs` after start, then 200 "ready". */
export function warmingApp(warmupMs: number): Promise<TestServer> {
  const readyAt = Date.now() + warmupMs;
  return startServer((_req, res) => {
    if (Date.now() < readyAt) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('warming up');
    } else {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ready', version: 'v2' }));
    }
  });
}

/** Answers every request with 500. */
export function brokenApp(): Promise<TestServer> {
  return startServer(
    (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error'),
  );
}

/** Answers 200 after `delayMs`. */
export function slowApp(delayMs: number): Promise<TestServer> {
  return startServer(async (_req, res) => {
    await sleep(delayMs);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('slow but fine');
  });
}

/** Echoes the request headers as JSON: shows whether secrets were sent (and must not be logged). */
export function echoApp(status = 200): Promise<TestServer> {
  return startServer(
    (req, res) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers)),
  );
}

const INDEX = `<!doctype html><html><head><title>portal</title>
<link rel="stylesheet" href="/static/app.3f2a9c.css">
<link rel="stylesheet" href="/static/plain.css">
<script src="/static/app.8b1d2e.js" defer></script>
</head><body><h1>Compliance portal</h1><img src="/static/logo.5e7f.png" alt="logo"></body></html>`;

const LONG_CACHE = 'public, max-age=31536000, immutable';

/**
 * A page with assets the way a well-tuned app serves them (fingerprinted, gzip or br, long-lived cache)
 * plus one stylesheet served uncompressed with a short cache, so the report has something to flag.
 * `assetDelayMs` slows every asset, to push the page over a budget.
 */
export function htmlApp(assetDelayMs = 0): Promise<TestServer> {
  const css = 'body{font-family:sans-serif;margin:0 auto;max-width:60rem}'.repeat(20);
  const js = 'document.addEventListener("DOMContentLoaded",()=>{console.log("ready")});'.repeat(20);
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  return startServer(async (req, res) => {
    const accepts = String(req.headers['accept-encoding'] ?? '');
    if (req.url !== '/' && assetDelayMs > 0) await sleep(assetDelayMs);
    switch (req.url) {
      case '/':
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-encoding': 'gzip',
          'cache-control': 'no-cache',
        });
        res.end(gzipSync(INDEX));
        return;
      case '/static/app.3f2a9c.css':
        res.writeHead(200, {
          'content-type': 'text/css',
          'content-encoding': 'gzip',
          'cache-control': LONG_CACHE,
        });
        res.end(gzipSync(css));
        return;
      case '/static/app.8b1d2e.js':
        if (accepts.includes('br')) {
          res.writeHead(200, {
            'content-type': 'application/javascript',
            'content-encoding': 'br',
            'cache-control': LONG_CACHE,
          });
          res.end(brotliCompressSync(js));
        } else {
          res
            .writeHead(200, { 'content-type': 'application/javascript', 'cache-control': LONG_CACHE })
            .end(js);
        }
        return;
      case '/static/plain.css':
        res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'max-age=60' }).end(css);
        return;
      case '/static/logo.5e7f.png':
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': LONG_CACHE }).end(png);
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
}
