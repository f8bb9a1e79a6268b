// Runs inside the sweep's empty network namespace: brings its loopback up, serves `200 ok` on
// 127.0.0.1:PORT (so a smoke test of a valid base finishes at once instead of retrying until its
// wait-timeout), then runs the step and exits as it did. Nothing outside the namespace is reachable.
//   node loopback-step.mjs PORT BUNDLE
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';

const [port, bundle] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(process.execPath, [bundle], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    server.close();
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
});
