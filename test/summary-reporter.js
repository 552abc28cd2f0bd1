/**
 * Ends every jest run with one plain line, "Tests: N passed, N failed", for CI to read. It is
 * written as the process exits, so that it comes after jest's own summary.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed`
    process.once('exit', () => process.stdout.write(`${skipped > 0 ? `${line}, ${skipped} skipped` : line}\n`))
  }
}

module.exports = SummaryReporter
