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
import { armPlatform } from './platform.js';
import { holderName } from './record.js';
import { outputs, summaryMarkdown } from './report.js';

export async function run(env: Env = process.env): Promise<void> {
  await runAction('deploy-slot', async () => {
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
    const probe: Probe = async (url) => {
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
      }
    };
    try {
      const result = await new DeploySlotRun(inputs, {
        platform: armPlatform(client, inputs.resourceGroup, inputs.appName),
        probe,
        clock: systemClock,
        log: (line) => core.info(redact(line, secrets)),
        warn: (line) => core.warning(redact(line, secrets)),
        holder: holderName(env),
        nonce: randomUUID(),
      }).run();
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
