/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The reliability suite has its own run (npm run test:reliability, test/reliability/jest.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/test/reliability/'],
  transform: {
    // jose 6 ships ES modules only. Node 24 lets jest require() them natively; on Node 20
    // (the Node-RED 4.1 host) ts-jest turns them into CommonJS instead.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
