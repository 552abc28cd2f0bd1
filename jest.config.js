/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // test/: integration, CLI and property tests; destinations/: each folder's own __tests__, as Segment runs them.
  roots: ['<rootDir>/test', '<rootDir>/destinations'],
  testMatch: ['**/*.test.ts'],
  // p-limit and its queue are ESM-only: jest on Node 20 cannot require them, so they are compiled to CommonJS too.
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node', allowJs: true } }]
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  // Snapshots written as Segment's jest 27 writes and reads them (jest 30's defaults differ).
  snapshotFormat: { escapeString: true, printBasicPrototype: true },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/global-setup.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js']
}
