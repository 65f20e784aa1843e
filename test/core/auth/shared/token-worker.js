/**
 * A process of its own with a token cache of the built core (dist/) that shares tokens through a
 * real Redis: what each n8n worker or Node-RED copy holds. The test drives it over the IPC
 * channel: { id, op: 'getToken' | 'invalidate' | 'state' | 'status', args } → { id, ok, value | error }.
 * Lines it would log go back as { log } messages, so the test can count them.
 *   fork(token-worker.js, [JSON.stringify({ redisUrl, connection, cache, sharing })])
 */
const path = require('node:path');
const core = require(path.join(__dirname, '..', '..', '..', '..', 'dist', 'nodes', 'core'));

const { redisUrl, connection: settings, cache = {}, sharing = {} } = JSON.parse(process.argv[2]);
const log = (line) => process.send({ log: line });
const tokenSharing = redisUrl ? core.tokenSharingFromEnvironment({ EO_REDIS_URL: redisUrl }, { ...sharing, log }) : undefined;
const tokens = new core.TokenCache({ ...cache, sharing: tokenSharing }).provider(core.resolveConnection(settings));

const ops = {
  async getToken(args = {}) {
    const started = Date.now();
    const token = await tokens.getToken(args);
    return { value: token.value, expiresAt: token.expiresAt, started, finished: Date.now() };
  },
  /** `count` concurrent calls; the distinct tokens they got. */
  async burst({ count }) {
    const all = await Promise.all(Array.from({ length: count }, () => tokens.getToken()));
    return [...new Set(all.map((t) => t.value))];
  },
  async invalidate({ value }) {
    tokens.invalidate(value);
  },
  async state() {
    return tokens.state();
  },
  async status() {
    return tokenSharing ? tokenSharing.status() : { mode: 'local', text: 'this process only' };
  },
};

process.on('message', async (msg) => {
  if (!msg || typeof msg.id !== 'number') return;
  try {
    process.send({ id: msg.id, ok: true, value: await ops[msg.op](msg.args) });
  } catch (err) {
    process.send({
      id: msg.id,
      ok: false,
      error: { code: err && err.code, message: err && err.message, retryAfterMs: err && err.retryAfterMs },
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
