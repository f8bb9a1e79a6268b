/** Reading builder output: which step failed, how many steps came from the cache. Pure. */

export interface StepStats {
  steps: number;
  cacheHits: number;
}

/** A step header, as buildah/podman ("[1/2] STEP 3/6: RUN ...", "STEP 3/6: ...") and buildx ("#7 [builder 3/6] RUN ..."). */
const STEP = /^(?:\[\d+\/\d+\] )?STEP \d+\/\d+: |^#\d+ \[[^\]]*\d+\/\d+\] /;
/** buildah/podman print "--> Using cache <id>"; buildx prints "#7 CACHED". */
const CACHE_HIT = /^--> Using cache [0-9a-f]+|^#\d+ CACHED$/;
/** A FROM step never has a cache line: exclude it from the denominator. */
const FROM = /^(?:\[\d+\/\d+\] )?STEP \d+\/\d+: FROM |^#\d+ \[[^\]]*\d+\/\d+\] FROM /;

export function stepStats(output: string): StepStats {
  let steps = 0;
  let cacheHits = 0;
  for (const line of output.split('\n')) {
    if (STEP.test(line) && !FROM.test(line)) steps++;
    if (CACHE_HIT.test(line.trim())) cacheHits++;
  }
  return { steps, cacheHits };
}

export interface FailedStep {
  /** The step header, e.g. "[1/2] STEP 4/6: RUN make". */
  step: string;
  /** The output from that header to the end. */
  output: string;
  /** The most telling line: the builder's error line, else the last non-empty line. */
  reason: string;
}

export function failedStep(output: string): FailedStep | undefined {
  const lines = output.replace(/\r/g, '').split('\n');
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (STEP.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const tail = lines.slice(start).filter((l) => l.trim() !== '');
  const errorLine = [...tail].reverse().find((l) => /^(Error|error|ERROR)[: ]/.test(l.trim()));
  return {
    step: lines[start]!.trim(),
    output: tail.join('\n'),
    reason: (errorLine ?? tail[tail.length - 1] ?? '').trim(),
  };
}
