export {
  type ErrorCounts,
  errorKind,
  LOAD_DEFAULTS,
  type LoadClock,
  type LoadInterval,
  type LoadOptions,
  type LoadProgress,
  type LoadReport,
  type LoadRun,
  type LoadStopReason,
  MAX_USERS,
  startLoad,
  systemLoadClock,
} from './generator.js';
export { LatencyHistogram, type LatencySummary } from './histogram.js';
