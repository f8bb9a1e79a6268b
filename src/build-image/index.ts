/**
 * build-image: builds a container image from a Dockerfile with docker, buildah or podman, tags and labels
 * it from the GitHub event, signs in to the registry (a password, or ACR through Microsoft Entra ID with
 * GitHub OIDC) and pushes it, writing the image's digest as an output. This is the bundle's entry: the
 * same bundle runs as the main step and as the `post:` step that removes the registry credentials.
 * main.ts is the action's run(env, deps); inputs.ts parses inputs, builders.ts drives the builders,
 * metadata.ts computes tags and labels, acr.ts exchanges tokens, report.ts writes outputs and the summary.
 */
import { isPost } from '../lib/runner/post-state.js';
import { run } from './main.js';
import { runPost } from './post.js';

if (isPost()) await runPost();
else await run();
