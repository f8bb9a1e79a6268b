import { expect, test } from '@jest/globals';
import {
  assessPage,
  extractSameOriginAssets,
  isLongLivedCache,
  isTextContentType,
} from '../../src/smoke-test/page.js';

const html = `<!doctype html><html><head>
<link rel="stylesheet" href="/static/app.3f2a.css">
<link rel="icon" href="favicon.ico">
<link rel="preconnect" href="https://cdn.example.com">
<link rel="stylesheet" href="https://cdn.example.com/lib.css">
<script src="/static/app.9c1b.js"></script>
<script>inline()</script>
</head><body>
<img src="/static/logo.png"><img src="/static/logo.png#again"><img src="data:image/png;base64,AAAA">
<img src="//other.example/x.png">
</body></html>`;

test('same-origin stylesheets, scripts, images and icons, deduplicated, in order', async () => {
  expect(await extractSameOriginAssets(html, 'https://app.test/docs/')).toEqual([
    { url: 'https://app.test/static/app.3f2a.css', kind: 'stylesheet' },
    { url: 'https://app.test/docs/favicon.ico', kind: 'icon' },
    { url: 'https://app.test/static/app.9c1b.js', kind: 'script' },
    { url: 'https://app.test/static/logo.png', kind: 'image' },
  ]);
});

test('<base href> changes how relative references resolve', async () => {
  const assets = await extractSameOriginAssets(
    '<base href="/v2/"><script src="main.js"></script>',
    'https://app.test/',
  );
  expect(assets).toEqual([{ url: 'https://app.test/v2/main.js', kind: 'script' }]);
});

test.each([
  ['public, max-age=31536000, immutable', true],
  ['public, max-age=604800', true],
  ['max-age=3600', false],
  ['public, s-maxage=2592000', true],
  ['no-cache', false],
  ['immutable, no-store', false],
  [undefined, false],
])('Cache-Control %p long-lived → %p', (value, expected) => expect(isLongLivedCache(value)).toBe(expected));

test.each([
  ['text/css; charset=utf-8', true],
  ['application/javascript', true],
  ['image/svg+xml', true],
  ['image/png', false],
  [undefined, false],
])('%p is text → %p', (value, expected) => expect(isTextContentType(value)).toBe(expected));

test('a page report names uncompressed text, short caching and failed assets', () => {
  const base = { bytes: 10, latencyMs: 5, compressed: true, longLivedCache: true };
  const report = assessPage(
    {
      ...base,
      url: 'https://a/',
      kind: 'document',
      status: 200,
      contentType: 'text/html',
      longLivedCache: false,
    },
    [
      {
        ...base,
        url: 'https://a/a.css',
        kind: 'stylesheet',
        status: 200,
        contentType: 'text/css',
        compressed: false,
      },
      {
        ...base,
        url: 'https://a/a.png',
        kind: 'image',
        status: 200,
        contentType: 'image/png',
        compressed: false,
        longLivedCache: false,
      },
      { ...base, url: 'https://a/gone.js', kind: 'script', status: 404, contentType: 'text/html' },
    ],
    2500,
    2000,
  );
  expect(report.withinBudget).toBe(false);
  expect(report.uncompressedText).toEqual(['https://a/a.css']);
  expect(report.shortCache).toEqual(['https://a/a.png']);
  expect(report.failedAssets).toEqual(['https://a/gone.js (404)']);
});
