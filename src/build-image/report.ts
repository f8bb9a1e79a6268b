import { markdownTable } from '../lib/markdown.js';

/** What build-image did, for outputs and the job summary. Pure. */
export interface BuildReport {
  builder: string;
  image: string;
  digest: string;
  imageId: string;
  references: string[];
  version: string;
  labels: Record<string, string>;
  pushed: boolean;
  sizeBytes?: number;
  layers?: number;
  durationMs: number;
  steps: number;
  cacheHits: number;
}

export function metadataOutput(report: BuildReport): string {
  return JSON.stringify({
    image: report.image,
    digest: report.digest,
    imageid: report.imageId,
    tags: report.references,
    version: report.version,
    labels: report.labels,
    builder: report.builder,
    pushed: report.pushed,
    'size-bytes': report.sizeBytes ?? null,
    layers: report.layers ?? null,
    'build-duration-ms': Math.round(report.durationMs),
    steps: report.steps,
    'cache-hits': report.cacheHits,
  });
}

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? 'unknown' : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function summaryMarkdown(report: BuildReport): string {
  const facts = markdownTable(
    ['', ''],
    [
      ['Image', `\`${report.image}\``],
      ['Digest', report.digest ? `\`${report.digest}\`` : 'not pushed'],
      ['Image ID', `\`${report.imageId.slice(0, 19)}\``],
      ['Builder', report.builder],
      ['Size', megabytes(report.sizeBytes)],
      ['Layers', report.layers ?? 'unknown'],
      ['Build duration', `${(report.durationMs / 1000).toFixed(1)} s`],
      ['Cache hits', `${report.cacheHits} of ${report.steps} steps`],
    ],
  );
  const tags = markdownTable(
    ['Tag', report.pushed ? 'Pushed' : 'Built'],
    report.references.map((ref) => [`\`${ref}\``, report.pushed ? 'yes' : 'local only']),
  );
  return `## build-image: ${report.pushed ? 'pushed' : 'built'} ${report.version || report.image}\n\n${facts}\n${tags}`;
}
