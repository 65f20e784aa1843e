// Prints one plain closing line ("node24: 120 passed, 0 failed") after jest's own summary, so a
// log reader sees at a glance what ran on which Node.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const label = `node${process.versions.node.split('.')[0]}`;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${label}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    process.stdout.write(`${skipped > 0 ? `${line}, ${skipped} skipped` : line}\n`);
  }
}
module.exports = SummaryReporter;
