// A long job signing in with GitHub OIDC: every Azure token is bought with a fresh GitHub token, so an
// expired GitHub token never breaks a later call. Counts how often the GitHub token was requested.
import * as core from '@actions/core';
import { ArmClient } from '../../../src/lib/azure/arm.js';
import { createAzureCredential } from '../../../src/lib/azure/credential.js';
import { readAzureInputs } from '../../../src/lib/azure/inputs.js';
import { getSite } from '../../../src/lib/azure/web.js';
import { InputReader } from '../../../src/lib/inputs.js';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const inputs = readAzureInputs(new InputReader(process.env));
  const audiences: string[] = [];
  const credential = await createAzureCredential(inputs, {
    getIDToken: async (audience) => {
      audiences.push(audience);
      return core.getIDToken(audience);
    },
  });
  const client = await ArmClient.create({ credential, inputs });
  const calls = Number(process.env['CALLS'] ?? 3);
  for (let i = 0; i < calls; i++) {
    await getSite(client, { resourceGroup: conn.resourceGroup, site: conn.siteName });
    await new Promise((r) => setTimeout(r, 1100));
  }
  return { calls, idTokenRequests: audiences.length, audiences: [...new Set(audiences)] };
});
