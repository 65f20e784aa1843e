/** `npm run test:reliability`: the fault, soak, fuzz and secret-hygiene suite, in a set order. */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/reliability'],
  testPathIgnorePatterns: [],
  testSequencer: '<rootDir>/test/reliability/sequencer.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js', '<rootDir>/test/reliability/reporter.js'],
};
