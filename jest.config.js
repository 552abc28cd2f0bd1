/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // test/: integration, CLI and property tests; destinations/: each folder's own __tests__, as Segment runs them.
  roots: ['<rootDir>/test', '<rootDir>/destinations'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Snapshots written as Segment's jest 27 writes and reads them (jest 30's defaults differ).
  snapshotFormat: { escapeString: true, printBasicPrototype: true },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js']
}
