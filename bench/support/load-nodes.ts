/**
 * The load generator's own Node-RED node types, `bench-driver` and `bench-sink`, written into the
 * user directory's `nodes/` folder (which Node-RED loads at start). Plain nodes rather than function
 * nodes: the apparatus should cost the runtime as little as possible, and a function node runs in a
 * vm sandbox with a context API around every message. The driver keeps `concurrency` messages in
 * flight (closed loop) or starts `ratePerS` per second (open loop); the sink times each message and
 * hands its verdict straight back to its driver. Runs are started and read through the Admin API:
 *   POST /bench/<name>/start  {total, concurrency?, ratePerS?, body?}   → {started: true}
 *   GET  /bench/<name>/result                                          → {done, ...LoadResult}
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATUS_PATTERN } from './status';

const NODE_JS = String.raw`
const { performance } = require('node:perf_hooks');
const drivers = new Map();
const results = new Map();

module.exports = function (RED) {
  function BenchDriver(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const targets = Number(config.targets);
    let run;
    drivers.set(config.benchName, {
      start(plan) {
        const bodyText = plan.body === undefined ? undefined : JSON.stringify(plan.body);
        run = { plan, started: 0, finished: 0, ok: 0, failed: 0, failures: {}, samples: [], latencies: [], t0: performance.now(), timer: undefined };
        results.set(config.benchName, { done: false, total: plan.total });
        const launch = () => {
          const seq = run.started++;
          const out = new Array(targets).fill(null);
          out[seq % targets] = { payload: bodyText === undefined ? undefined : JSON.parse(bodyText), benchT0: performance.now() };
          node.send(out);
        };
        run.launch = launch;
        if (plan.ratePerS) {
          const tick = () => {
            const due = Math.min(plan.total, Math.floor(((performance.now() - run.t0) * plan.ratePerS) / 1000) + 1);
            while (run.started < due) launch();
            if (run.started < plan.total) run.timer = setTimeout(tick, Math.max(1, Math.floor(500 / plan.ratePerS)));
          };
          tick();
        } else {
          const first = Math.min(plan.total, plan.concurrency || plan.total);
          for (let i = 0; i < first; i++) launch();
        }
      },
      complete(t0, verdict) {
        if (!run) return;
        run.finished++;
        run.latencies.push(Math.round((performance.now() - t0) * 1000) / 1000);
        if (verdict.ok) run.ok++;
        else {
          run.failed++;
          run.failures[verdict.why] = (run.failures[verdict.why] || 0) + 1;
          if (run.samples.length < 5) run.samples.push(verdict.text);
        }
        if (!run.plan.ratePerS && run.started < run.plan.total) run.launch();
        if (run.finished === run.plan.total) {
          const r = run;
          results.set(config.benchName, { done: true, total: r.plan.total, ok: r.ok, failed: r.failed, failures: r.failures, samples: r.samples, elapsedMs: performance.now() - r.t0, latencies: r.latencies });
          run = undefined;
        }
      },
    });
    node.on('close', () => {
      if (run && run.timer) clearTimeout(run.timer);
      drivers.delete(config.benchName);
    });
  }
  RED.nodes.registerType('bench-driver', BenchDriver);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      let verdict;
      if (msg.error) {
        const m = ${STATUS_PATTERN}.exec(msg.error.message || '');
        verdict = { ok: false, why: m ? m[1] : msg.error.code || 'error', text: String(msg.error.message || '').slice(0, 300) };
      } else {
        const ok = typeof msg.statusCode === 'number' && msg.statusCode >= 200 && msg.statusCode < 300;
        verdict = { ok, why: String(msg.statusCode), text: ok ? '' : String(typeof msg.payload === 'string' ? msg.payload : JSON.stringify(msg.payload)).slice(0, 300) };
      }
      const driver = drivers.get(config.benchName);
      if (driver && typeof msg.benchT0 === 'number') driver.complete(msg.benchT0, verdict);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);

  RED.httpAdmin.post('/bench/:name/start', (req, res) => {
    const driver = drivers.get(req.params.name);
    if (!driver) return res.status(404).json({ error: 'no driver ' + req.params.name });
    driver.start(req.body || {});
    res.json({ started: true });
  });
  RED.httpAdmin.get('/bench/:name/result', (req, res) => {
    res.json(results.get(req.params.name) || { done: false });
  });
};
`;

const NODE_HTML = `<script type="text/javascript">
  RED.nodes.registerType('bench-driver', { category: 'common', color: '#ddd', defaults: { benchName: { value: '' }, targets: { value: 1 } }, inputs: 0, outputs: 1, label: 'bench driver' });
  RED.nodes.registerType('bench-sink', { category: 'common', color: '#ddd', defaults: { benchName: { value: '' } }, inputs: 1, outputs: 0, label: 'bench sink' });
</script>
`;

/** Writes a node type (`<name>.js` + `<name>.html`) into `<userDir>/nodes/`, where Node-RED finds it at start. */
export function installUserNode(userDir: string, name: string, js: string, html: string): void {
  const dir = path.join(userDir, 'nodes');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.js`), js);
  fs.writeFileSync(path.join(dir, `${name}.html`), html);
}

/** Writes the driver and sink node types into the user folder. */
export function installLoadNodes(userDir: string): void {
  installUserNode(userDir, 'bench-load', NODE_JS, NODE_HTML);
}
