import { expect, test } from '@jest/globals';
import { markdownTable, mermaidBarChart, mermaidTimeline } from '../../src/lib/markdown.js';

test('markdown tables escape pipes and newlines', () => {
  expect(markdownTable(['a', 'b'], [['x|y', 'line1\nline2'], [1]])).toBe(
    '| a | b |\n| --- | --- |\n| x\\|y | line1<br>line2 |\n| 1 |  |\n',
  );
});

test('bar charts carry labels, values and a y range above the maximum', () => {
  const chart = mermaidBarChart({
    title: 'Latency',
    yLabel: 'ms',
    bars: [
      { label: 'a "b"', value: 10.26 },
      { label: 'c', value: 90 },
    ],
  });
  expect(chart).toContain(`x-axis ["a 'b'", "c"]`);
  expect(chart).toContain('y-axis "ms" 0 --> 99');
  expect(chart).toContain('bar [10.3, 90]');
  expect(chart.startsWith('```mermaid\nxychart-beta\n')).toBe(true);
});

test('timelines mark failed phases as critical', () => {
  const chart = mermaidTimeline({
    title: 'release',
    phases: [
      { name: 'deploy', startMs: 0, durationMs: 1500 },
      { name: 'swap: prod', startMs: 1500, durationMs: 900, failed: true },
    ],
  });
  expect(chart).toContain('  deploy : 0, 1500ms');
  expect(chart).toContain('  swap  prod : crit, 1500, 900ms');
});
