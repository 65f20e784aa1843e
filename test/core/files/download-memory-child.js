/**
 * Runs one large download through the built core (dist/) in a process of its own and prints what
 * it cost in memory: peak RSS above the idle RSS after a warm-up, and the peak of memory held in
 * ArrayBuffers (received chunks). Used by download.test.ts, so the figures are not blurred by jest.
 *   node download-memory-child.js <baseUrl> <tokenUrl> <bytes> <directory>
 */
const fs = require('node:fs');
const path = require('node:path');
const core = require(path.join(__dirname, '..', '..', '..', 'dist', 'nodes', 'core'));

async function main() {
  const [baseUrl, tokenUrl, size, directory] = process.argv.slice(2);
  const connection = core.resolveConnection({ provider: 'terrascope', tokenUrl, baseUrl, username: 'demo', password: 'demo-password' });
  const tokens = new core.TokenCache().provider(connection);
  const download = (bytes, filename) =>
    core.downloadToFile({ connection, tokens, url: `/download/synthetic/${bytes}.bin`, directory, filename, overwrite: 'always' });
  // The warm-up loads every module and opens the connection: what follows is the body alone.
  await download(1048576, 'warm-up.bin');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const idle = process.memoryUsage().rss;
  let peakRss = idle;
  let peakArrayBuffers = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  const result = await download(Number(size), 'large.bin');
  clearInterval(timer);
  sample();
  const bytesOnDisk = fs.statSync(result.path).size;
  fs.rmSync(result.path);
  process.stdout.write(JSON.stringify({ bytes: result.bytes, bytesOnDisk, rssAboveIdle: peakRss - idle, peakArrayBuffers }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
