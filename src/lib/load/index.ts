// The built-in HTTP load generator, for verify-autoscale's observe mode (issue 13): `startLoad(options)`
// returns `{ done, stop(), progress() }`; the report holds totals, requests/s, errors by kind and latency
// (p50/p95/p99/max) overall and per interval. Pure: no @actions/*, undici loaded on the first run.
export { type LoadReport, startLoad } from './generator.js';
export { LatencyHistogram } from './histogram.js';
