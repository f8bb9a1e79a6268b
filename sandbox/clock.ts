/** The sandbox's notion of now (milliseconds): real time, or a test's own clock. */
export interface SandboxClock {
  now(): number;
}
