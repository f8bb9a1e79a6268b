import { writeFileSync } from 'node:fs';

// A jest reporter that makes skipped work fail the run: a test skipped because a tool is missing, a
// `.skip` or a `.todo` is not a pass. It also prints the plain closing line CI reads.
export default class StrictReporter {
  onRunComplete(_contexts, results) {
    this.skipped = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (
          test.status === 'pending' ||
          test.status === 'skipped' ||
          test.status === 'todo' ||
          test.status === 'disabled'
        ) {
          this.skipped.push(`${test.fullName} (${file.testFilePath.replace(process.cwd() + '/', '')})`);
        }
      }
    }
    if (this.skipped.length > 0) {
      console.error(
        `\n${this.skipped.length} test(s) did not run; skipped tests fail this suite:\n  ${this.skipped.join('\n  ')}`,
      );
    }
    // A skipped test counts as failed: it proves nothing.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites + this.skipped.length;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    console.log(`\njest: ${line}`);
    if (process.env.SLOTLINE_TEST_COUNTS) writeFileSync(process.env.SLOTLINE_TEST_COUNTS, line);
  }

  getLastError() {
    if (this.skipped?.length) return new Error(`${this.skipped.length} skipped test(s)`);
    return undefined;
  }
}
