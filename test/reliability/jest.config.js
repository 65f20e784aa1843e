/** `npm run test:reliability`: the fault, soak, fuzz and secret-hygiene suite, in a set order. */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/reliability'],
  testPathIgnorePatterns: [],
  // One file at a time, in the sequencer's order: the secret sweep must see every other file's artefacts.
  maxWorkers: 1,
  testSequencer: '<rootDir>/test/reliability/sequencer.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js', '<rootDir>/test/reliability/reporter.js'],
};
