import { redactUrl } from '../lib/redact.js';

/** What a browser would fetch after the HTML: same-origin stylesheets, scripts and images. */
export interface PageAsset {
  url: string;
  kind: 'stylesheet' | 'script' | 'image' | 'icon';
}

/** Assets referenced by the HTML that share the page's origin, deduplicated, in document order. */
export async function extractSameOriginAssets(html: string, pageUrl: string): Promise<PageAsset[]> {
  // Loaded on use: only page checks parse HTML.
  const { Parser } = await import('htmlparser2');
  const base = { href: pageUrl };
  const found: PageAsset[] = [];
  const seen = new Set<string>();
  const add = (ref: string | undefined, kind: PageAsset['kind']): void => {
    if (!ref || ref.startsWith('data:')) return;
    let url: URL;
    try {
      url = new URL(ref, base.href);
    } catch {
      return;
    }
    if (url.origin !== new URL(pageUrl).origin) return;
    url.hash = '';
    if (seen.has(url.href)) return;
    seen.add(url.href);
    found.push({ url: url.href, kind });
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'base' && attrs['href']) {
          try {
            base.href = new URL(attrs['href'], pageUrl).href;
          } catch {
            // A malformed <base> is ignored by browsers too.
          }
        } else if (name === 'link') {
          const rel = (attrs['rel'] ?? '').toLowerCase().split(/\s+/);
          if (rel.includes('stylesheet')) add(attrs['href'], 'stylesheet');
          else if (rel.includes('icon')) add(attrs['href'], 'icon');
        } else if (name === 'script') add(attrs['src'], 'script');
        else if (name === 'img') add(attrs['src'], 'image');
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return found;
}

const TEXT_TYPES = /^(text\/|application\/(javascript|json|xml|ecmascript|manifest\+json)|image\/svg\+xml)/i;

export function isTextContentType(contentType: string | undefined): boolean {
  return TEXT_TYPES.test((contentType ?? '').trim());
}

export function isCompressed(contentEncoding: string | undefined): boolean {
  return /\b(gzip|br|zstd|deflate)\b/i.test(contentEncoding ?? '');
}

/** A static asset is "long-lived" when browsers and CDNs may keep it at least a week (or immutable). */
export const LONG_LIVED_SECONDS = 7 * 24 * 3600;

export function isLongLivedCache(cacheControl: string | undefined): boolean {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/\b(no-store|no-cache|private)\b/.test(directives)) return false;
  if (/\bimmutable\b/.test(directives)) return true;
  const maxAge = /\b(?:s-maxage|max-age)\s*=\s*(\d+)/.exec(directives);
  return maxAge !== null && Number(maxAge[1]) >= LONG_LIVED_SECONDS;
}

export interface AssetResult {
  url: string;
  kind: PageAsset['kind'] | 'document';
  status: number;
  bytes: number;
  latencyMs: number;
  contentType?: string;
  compressed: boolean;
  longLivedCache: boolean;
  error?: string;
}

export interface PageReport {
  loadMs: number;
  budgetMs: number;
  withinBudget: boolean;
  assets: AssetResult[];
  /** Text resources (HTML, CSS, JS, SVG…) sent without gzip/br. */
  uncompressedText: string[];
  /** Static assets (not the HTML) without long-lived Cache-Control. */
  shortCache: string[];
  failedAssets: string[];
}

/** Judge a page load from its measured parts. Pure: the fetching happens elsewhere. */
export function assessPage(
  document: AssetResult,
  assets: readonly AssetResult[],
  loadMs: number,
  budgetMs: number,
): PageReport {
  const all = [document, ...assets];
  return {
    loadMs,
    budgetMs,
    withinBudget: loadMs <= budgetMs,
    assets: all,
    uncompressedText: all
      .filter((a) => !a.error && a.bytes > 0 && isTextContentType(a.contentType) && !a.compressed)
      .map((a) => redactUrl(a.url)),
    shortCache: assets
      .filter((a) => !a.error && a.status < 400 && !a.longLivedCache)
      .map((a) => redactUrl(a.url)),
    failedAssets: assets
      .filter((a) => a.error || a.status >= 400)
      .map((a) => `${redactUrl(a.url)} (${a.error ?? a.status})`),
  };
}
