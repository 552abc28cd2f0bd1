/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // p-limit and its queue are ESM-only: jest on Node 20 cannot require them, so they are compiled to CommonJS too.
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node', allowJs: true } }]
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js']
}
