import { describe, expect, test } from '@jest/globals';
import { checkInputsForAction, isValidImage, parseInputs } from '../../src/deploy-slot/inputs.js';
import { InputError } from '../../src/lib/errors.js';
import { inputEnv } from '../helpers/runner.js';

// The bad-input sweep's deploy-slot rows that were accepted before image took distribution's grammar
// (src/lib/image-ref.ts) and resource-group refused a trailing period.

const BASE = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'tenant-id': '11111111-1111-4111-8111-111111111111',
  'client-id': '22222222-2222-4222-8222-222222222222',
  'client-secret': 'not-a-real-secret',
  'resource-group': 'rg',
  'app-name': 'web',
  image: 'ghcr.io/org/web:1.2.3',
};

async function inputError(inputs: Record<string, string>): Promise<string> {
  const env = inputEnv({ ...BASE, ...inputs });
  const error = await parseInputs(env)
    .then((parsed) => checkInputsForAction(parsed, env))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as Error).message;
}

describe('deploy-slot image: a reference by distribution grammar', () => {
  test.each([
    ['port 99999', 'registry.example.com:99999/app:1', 'the registry port must be a number from 1 to 65535'],
    ['port 0', 'registry.example.com:0/app:1', 'the registry port must be a number from 1 to 65535'],
    [
      'a 64-character host label',
      `${'h'.repeat(64)}.example.com/app:1`,
      'a part of the registry host name between dots is longer than 63 characters',
    ],
  ])('%s is refused, naming image and why', async (_name, image, reason) => {
    const message = await inputError({ image });
    expect(message).toMatch(/^Input "image" must be a container image reference with a tag or digest/);
    expect(message).toContain(`(${reason})`);
    expect(isValidImage(image)).toBe(false);
  });

  test('a user name and password in the reference are not shown', async () => {
    const message = await inputError({ image: 'deployer:Sl0t-Passw0rd@registry.example.com/app:1' });
    expect(message).toContain('Input "image"');
    expect(message).not.toContain('Sl0t-Passw0rd');
    expect(message).not.toContain('deployer');
  });

  test('12,000 characters: the error shows the first 60 and an ellipsis', async () => {
    const message = await inputError({ image: `${'a'.repeat(12_000)}:1` });
    expect(message).toContain(
      `(the repository path is longer than 255 characters), got "${'a'.repeat(60)}…".`,
    );
    expect(message.length).toBeLessThan(400);
  });

  test('the bounds themselves: port 65535 and a 63-character label pass, 65536 and 64 do not', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const image = `${'h'.repeat(63)}.example.com:65535/team/app@${digest}`;
    await expect(parseInputs(inputEnv({ ...BASE, image }))).resolves.toMatchObject({ image });
    expect(isValidImage(image.replace(':65535/', ':65536/'))).toBe(false);
    expect(isValidImage(image.replace('h'.repeat(63), 'h'.repeat(64)))).toBe(false);
  });
});

describe('deploy-slot resource-group', () => {
  test('a name ending in a period is refused (Azure refuses it); a period inside and 90 characters are fine', async () => {
    const message = await inputError({ 'resource-group': 'rg.' });
    expect(message).toBe(
      'Input "resource-group" must be a resource group name (1-90 letters, digits, _ - . ( ), not ending in a period), got "rg.".',
    );
    for (const name of ['rg.prod-1', `${'r'.repeat(89)})`])
      await expect(parseInputs(inputEnv({ ...BASE, 'resource-group': name }))).resolves.toMatchObject({
        resourceGroup: name,
      });
  });
});
