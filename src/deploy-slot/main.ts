import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { runAction } from '../lib/action.js';
import { ArmClient } from '../lib/azure/arm.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { systemClock } from '../lib/backoff.js';
import { CheckFailedError, errorMessage } from '../lib/errors.js';
import { createHttpAgent, httpRequest } from '../lib/http.js';
import type { Env } from '../lib/inputs.js';
import { maskValue, redact } from '../lib/secrets.js';
import { writeSummary } from '../lib/summary.js';
import type { Probe } from './health.js';
import { checkInputsForAction, parseInputs } from './inputs.js';
import { DeploySlotRun } from './phases.js';
import { armPlatform, timed } from './platform.js';
import { holderName } from './record.js';
import { outputs, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

export async function run(env: Env = process.env): Promise<void> {
  await runAction('deploy-slot', SECRET_INPUTS, async () => {
    const inputs = await parseInputs(env);
    checkInputsForAction(inputs, env);
    const secrets: string[] = [];
    for (const setting of Object.values(inputs.appSettings)) if (setting.secret) secrets.push(setting.value);
    if (inputs.registry) secrets.push(inputs.registry.password);
    if (inputs.azure.clientSecret) secrets.push(inputs.azure.clientSecret);
    for (const secret of secrets) maskValue(secret);

    const credential = await createAzureCredential(inputs.azure, { env });
    const client = await ArmClient.create({ credential, inputs: inputs.azure });
    const agent = createHttpAgent(4);
    // Where the time goes, for the debug log and the benchmark: waiting on Azure, on the app's health
    // endpoint, and in deliberate pauses (probe intervals, the lease's settle time).
    const spent = { azure: { ms: 0 }, probes: 0, waits: 0 };
    const started = performance.now();
    const clock = {
      now: () => systemClock.now(),
      sleep: async (ms: number) => {
        const t = performance.now();
        await systemClock.sleep(ms);
        spent.waits += performance.now() - t;
      },
    };
    const probe: Probe = async (url) => {
      const t = performance.now();
      try {
        const res = await httpRequest(
          { url, headers: { 'user-agent': 'slotline-deploy-slot' } },
          {
            timeoutMs: 10_000,
            dispatcher: agent,
          },
        );
        return { status: res.status };
      } catch (error) {
        return { error: (error as { code?: string }).code ?? errorMessage(error).split('\n')[0] };
      } finally {
        spent.probes += performance.now() - t;
      }
    };
    try {
      const result = await new DeploySlotRun(inputs, {
        platform: timed(armPlatform(client, inputs.resourceGroup, inputs.appName), spent.azure),
        probe,
        clock,
        log: (line) => core.info(redact(line, secrets)),
        warn: (line) => core.warning(redact(line, secrets)),
        holder: holderName(env),
        nonce: randomUUID(),
      }).run();
      core.debug(
        `timing: run ${Math.round(performance.now() - started)} ms, azure ${Math.round(spent.azure.ms)} ms, probes ${Math.round(spent.probes)} ms, waits ${Math.round(spent.waits)} ms, process uptime ${Math.round(process.uptime() * 1000)} ms`,
      );
      for (const [name, value] of Object.entries(outputs(result)))
        core.setOutput(name, redact(value, secrets));
      await writeSummary(
        redact(summaryMarkdown(result, inputs.appName, inputs.slot, inputs.targetSlot), secrets),
      );
      if (!result.succeeded) throw new CheckFailedError(redact(result.message, secrets));
      core.info(redact(result.message, secrets));
    } finally {
      await agent.close();
    }
  });
}
