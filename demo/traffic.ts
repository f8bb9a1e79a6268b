// The demo's light background traffic on production while a release goes out: a few users of the
// built-in load generator (src/lib/load) on the page and the document list, and a watcher that asks
// /healthz which version answers, so the report shows when production changed and whether any request
// failed on the way.
import { Agent, request } from 'undici';
import { type LoadReport, startLoad } from '../src/lib/load/index.js';

/** A light load: 10 users, 100 ms think time, on the page and the API (under a hundred requests per second). */
export const USERS = 10;
export const THINK_MS = 100;
/** Hard stop: the traffic ends by itself even if nobody stops it. */
const MAX_DURATION_MS = 15 * 60_000;
const WATCH_EVERY_MS = 500;

export interface VersionChange {
  /** Seconds since the traffic started. */
  atS: number;
  version: string;
}

export interface TrafficReport {
  load: LoadReport;
  versions: VersionChange[];
}

export interface Traffic {
  stop(): Promise<TrafficReport>;
}

/**
 * What production itself answers on /healthz: its version, or `unreachable`/`HTTP <status>`. The
 * `x-ms-routing-name=self` cookie keeps the request off a canary slot that a ramp-up rule sends traffic to.
 */
export async function servedVersion(url: string, dispatcher: Agent): Promise<string> {
  try {
    const res = await request(`${url}/healthz`, {
      dispatcher,
      headers: { cookie: 'x-ms-routing-name=self' },
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return `HTTP ${res.statusCode}`;
    return (JSON.parse(text) as { version?: string }).version ?? 'no version';
  } catch {
    return 'unreachable';
  }
}

export function startTraffic(url: string, ca: string): Traffic {
  const started = Date.now();
  const load = startLoad({
    url,
    paths: ['/', '/api/documents'],
    users: USERS,
    thinkTimeMs: THINK_MS,
    durationMs: MAX_DURATION_MS,
    ca,
    timeoutMs: 10_000,
  });
  const dispatcher = new Agent({ connect: { ca, timeout: 5000 } });
  const versions: VersionChange[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching && Date.now() - started < MAX_DURATION_MS) {
      const version = await servedVersion(url, dispatcher);
      if (versions.at(-1)?.version !== version)
        versions.push({ atS: (Date.now() - started) / 1000, version });
      await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
    }
  })();
  return {
    async stop() {
      watching = false;
      const [report] = await Promise.all([load.stop(), watcher]);
      await dispatcher.close();
      return { load: report, versions };
    },
  };
}
