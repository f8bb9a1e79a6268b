// The built-in load generator (src/lib/load) against wrk on the same loopback target: a one-process Node
// HTTP server answering "ok", in a child process so neither client shares its event loop. wrk -t2 -c100
// and our generator with 100 users and no think time, alternating, BENCH_ROUNDS rounds (default 3) of
// BENCH_SECONDS each (default 5); issue 13's target is ≥ 0.6× wrk. Then the action's default model,
// 1000 users with 1 s think time (≈ 1000 req/s expected), with its client-side p95.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { type LoadReport, startLoad } from '../../src/lib/load/index.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const CONNECTIONS = 100;

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => console.log(server.address().port));
`;

const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const [portLine] = (await once(server.stdout!, 'data')) as [Buffer];
const url = `http://127.0.0.1:${Number(String(portLine).trim())}/`;

/** wrk's figures, and its CPU time (user + system, from /usr/bin/time) per request. */
async function wrk(): Promise<{
  rps: number;
  p50: string;
  p99: string;
  errors: number;
  cpuUsPerRequest: number;
}> {
  const { stdout: out, stderr } = await promisify(execFile)('/usr/bin/time', [
    '-f',
    'cpu %U %S',
    'wrk',
    '-t2',
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    '--latency',
    url,
  ]);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?',
    p99: /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?',
    errors: (errors ? errors.slice(1).reduce((t, n) => t + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0),
    cpuUsPerRequest: cpu ? ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / total : Number.NaN,
  };
}

/** Our generator in this process, with its CPU time per request. */
async function ours(): Promise<{ report: LoadReport; cpuUsPerRequest: number }> {
  const before = process.cpuUsage();
  const report = await startLoad({ url, users: CONNECTIONS, thinkTimeMs: 0, durationMs: SECONDS * 1000 })
    .done;
  const cpu = process.cpuUsage(before);
  return { report, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, report.requests) };
}

// The machine is shared: its CPU pressure (Linux PSI, % of time some task waited for a CPU) explains a
// noisy round.
const pressure = (): string => {
  try {
    return `CPU pressure avg10 ${/avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]}%`;
  } catch {
    return 'CPU pressure unknown';
  }
};

const ms = (n: number | null): string => (n === null ? '-' : `${n.toFixed(2)} ms`);
const line = (label: string, r: LoadReport): string =>
  `  ${label.padEnd(34)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${ms(r.latency.p50Ms)}  p99 ${ms(r.latency.p99Ms)}  errors ${r.errors}  cancelled at the end ${r.cancelled}`;

try {
  console.log(`target: one Node HTTP server process answering "ok" on ${url} (loopback, keep-alive)`);
  console.log(`closed loop, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds alternating:`);
  let wrkTotal = 0;
  let oursTotal = 0;
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so a change in the machine's load does not favour one.
    const [w, o] =
      round % 2 === 1
        ? [await wrk(), await ours()]
        : await (async () => {
            const first = await ours();
            return [await wrk(), first] as const;
          })();
    console.log(
      `  wrk -t2 -c${CONNECTIONS} -d${SECONDS}s (round ${round})`.padEnd(36) +
        ` ${w.rps.toFixed(0).padStart(6)} req/s  p50 ${w.p50}  p99 ${w.p99}  errors ${w.errors}  client CPU ${w.cpuUsPerRequest.toFixed(1)} µs/request`,
    );
    console.log(
      `${line(`startLoad ${CONNECTIONS} users, think 0 (round ${round})`, o.report)}  client CPU ${o.cpuUsPerRequest.toFixed(1)} µs/request`,
    );
    console.log(
      `  ratio, round ${round}: ${(o.report.requestsPerSecond / w.rps).toFixed(2)}× wrk (${pressure()})`,
    );
    ratios.push(o.report.requestsPerSecond / w.rps);
    wrkTotal += w.rps;
    oursTotal += o.report.requestsPerSecond;
  }
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  console.log(
    `load generator / wrk over ${ROUNDS} rounds: ${(oursTotal / wrkTotal).toFixed(2)}× of the mean rates (median round ${median.toFixed(2)}×; target ≥ 0.6×): wrk ${(wrkTotal / ROUNDS).toFixed(0)} req/s, ours ${(oursTotal / ROUNDS).toFixed(0)} req/s`,
  );

  // The action's default model: 1000 users, 1 s think time, started over 1 s.
  const users = 1000;
  const rampUpMs = 1000;
  const model = await startLoad({ url, users, thinkTimeMs: 1000, rampUpMs, durationMs: 6000 }).done;
  const steady = model.intervals.filter(
    (i) => i.startMs >= rampUpMs + 1000 && i.durationMs === model.intervalMs,
  );
  const steadyRps = steady.reduce((t, i) => t + i.requests, 0) / Math.max(1, steady.length);
  const worstP95 = Math.max(...steady.map((i) => i.latency.p95Ms ?? 0));
  console.log(`default model: ${users} users, 1 s think time, ${rampUpMs / 1000} s ramp-up, 6 s:`);
  console.log(line('overall (ramp-up included)', model));
  console.log(
    `  steady state (${steady.length} whole intervals after ramp-up): ${steadyRps.toFixed(0)} req/s (≈ ${users} expected), worst interval p95 ${ms(worstP95)}, client p95 overall ${ms(model.latency.p95Ms)}`,
  );
  for (const i of model.intervals)
    console.log(
      `    t=${(i.startMs / 1000).toFixed(0)}s users ${String(i.users).padStart(4)}  ${String(i.requests).padStart(5)} requests  errors ${i.errors}  p50 ${ms(i.latency.p50Ms)}  p95 ${ms(i.latency.p95Ms)}  p99 ${ms(i.latency.p99Ms)}`,
    );
} finally {
  server.kill();
}
