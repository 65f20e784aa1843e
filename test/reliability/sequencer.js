// Runs the reliability files in name order, and the secret sweep last: it reads what every other
// file left behind (logs, debug messages, errors, flows, execution data, the emulator's record).
const Sequencer = require('@jest/test-sequencer').default;

const LAST = 'secrets-sweep.test.ts';

class ReliabilitySequencer extends Sequencer {
  sort(tests) {
    const key = (t) => (t.path.endsWith(LAST) ? `~${t.path}` : t.path);
    return [...tests].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
}
module.exports = ReliabilitySequencer;
