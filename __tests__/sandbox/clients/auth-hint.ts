// An action's sign-in as slotline does it (inputs → credential → ARM call), printing the one-line error
// an action would fail with, so tests can check the hint Entra ID's refusal is translated into.
import { ArmClient } from '../../../src/lib/azure/arm.js';
import { createAzureCredential } from '../../../src/lib/azure/credential.js';
import { readAzureInputs } from '../../../src/lib/azure/inputs.js';
import { getSite, listAppSettings } from '../../../src/lib/azure/web.js';
import { InputReader } from '../../../src/lib/inputs.js';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const inputs = readAzureInputs(new InputReader(process.env));
  try {
    const client = await ArmClient.create({
      credential: await createAzureCredential(inputs),
      inputs,
      maxRetries: 0,
    });
    const site = { resourceGroup: conn.resourceGroup, site: conn.siteName };
    await getSite(client, site);
    // Listing app settings is a POST action (they hold secrets): a Reader may not.
    if (process.env['WRITE'] === '1') await listAppSettings(client, site);
    return { ok: true };
  } catch (error) {
    return { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
});
