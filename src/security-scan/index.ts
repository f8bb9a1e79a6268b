/**
 * security-scan: runs the scanners that fit the tree (bandit, shellcheck, secretlint, gitleaks, trivy,
 * pip-audit, npm audit), never a program from inside the scanned tree, each in its own process group
 * with a scrubbed environment and a deadline; merges their findings into one SARIF file, applies the
 * allowlist and the fail-on policy, and annotates the findings. This is the bundle's entry. main.ts is the
 * action's run(env, deps); scanners.ts runs the tools, parsers/ reads their output, policy.ts and
 * allowlist.ts decide, sarif.ts and report.ts write the results.
 */
import { run } from './main.js';

await run();
