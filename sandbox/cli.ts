// npm run sandbox -- --state-dir DIR [--config FILE] [--port N]
// Runs the local Azure sandbox in the foreground until SIGINT or SIGTERM, then removes every container it
// started. `--cleanup` removes what a killed sandbox with that state dir left, and exits.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { removeLeftovers } from './dataplane/data-plane.js';
import type { ContainerNetwork } from './dataplane/runtime.js';
import { startSandbox } from './sandbox.js';

/** A stop that has not finished by then (it should take about a second) exits anyway, with code 1. */
const STOP_DEADLINE_MS = 20_000;

function fail(message: string): never {
  console.error(`sandbox: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: {
    'state-dir'?: string;
    config?: string;
    port?: string;
    quiet?: boolean;
    'time-scale'?: string;
    'storage-root'?: string;
    'container-network'?: string;
    'no-containers'?: boolean;
    cleanup?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        'state-dir': { type: 'string' },
        config: { type: 'string' },
        port: { type: 'string' },
        quiet: { type: 'boolean' },
        'time-scale': { type: 'string' },
        'storage-root': { type: 'string' },
        'container-network': { type: 'string' },
        'no-containers': { type: 'boolean' },
        cleanup: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail(
      `${(error as Error).message}. Usage: npm run sandbox -- --state-dir DIR [--config FILE] [--port N] [--time-scale K] [--storage-root DIR] [--container-network bridge|host] [--no-containers] [--cleanup]`,
    );
  }
  const stateDir =
    values['state-dir'] ??
    fail('--state-dir DIR is required (where state, certificates and connection.json live)');
  if (values.cleanup) {
    const removed = await removeLeftovers({
      stateDir,
      ...(values['storage-root'] ? { storageRoot: values['storage-root'] } : {}),
    }).catch((error: Error) => fail(`cleanup failed: ${error.message}`));
    console.log(`sandbox: removed ${removed.length} container(s) left by ${stateDir}`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a port number from 0 to 65535, got "${values.port}"`);
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 3600)
    fail(`--time-scale must be a number from 1 to 3600, got "${values['time-scale']}"`);
  const network = values['container-network'] ?? 'bridge';
  if (network !== 'bridge' && network !== 'host')
    fail(`--container-network must be bridge or host, got "${network}"`);
  const containerNetwork: ContainerNetwork = network;
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(values.config);
  } catch (error) {
    fail((error as Error).message);
  }
  const log = values.quiet ? undefined : (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const dataPlane = values['no-containers']
    ? false
    : {
        timeScale,
        network: containerNetwork,
        ...(values['storage-root'] ? { storageRoot: values['storage-root'] } : {}),
      };
  const sandbox = await startSandbox({ stateDir, config, port, dataPlane, ...(log ? { log } : {}) }).catch(
    (error: Error) =>
      fail(
        error.message.includes('EADDRINUSE')
          ? `port ${port} is in use; pick another with --port or use 0`
          : error.message,
      ),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`sandbox: ${signal} received, stopping`);
    setTimeout(() => {
      console.error(`sandbox: not stopped after ${STOP_DEADLINE_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(
    `sandbox: ready; ARM at ${sandbox.connection.armEndpoint}, connection details in ${join(stateDir, 'connection.json')}`,
  );
}

void main();
