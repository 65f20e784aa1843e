/**
 * Preloaded (`--require`) into `node-red-dev validate` by scorecard.test.ts. The scorecard asks
 * catalogue.nodered.org for the flow library's module list (similar names, duplicate node types)
 * and registry.npmjs.org for Node-RED's releases; neither is reachable from the tests. The
 * catalogue is answered with an empty list, and Node-RED's registry document is fetched from the
 * loopback registry the test runs (EO_REGISTRY_STUB), like every other registry call of the tool.
 */
const path = require('node:path');

const stub = process.env.EO_REGISTRY_STUB;
if (!stub) throw new Error('catalogue-stub.js: EO_REGISTRY_STUB is not set');

const devTool = path.dirname(require.resolve('node-red-dev/package.json'));
const axios = require(require.resolve('axios', { paths: [devTool] }));
const realGet = axios.get.bind(axios);

axios.get = function get(url, config) {
  const { host, pathname } = new URL(url);
  if (host === 'catalogue.nodered.org') {
    return Promise.resolve({ status: 200, data: { modules: [] }, headers: {}, config: config || {} });
  }
  if (host === 'registry.npmjs.org') return realGet(stub.replace(/\/$/, '') + pathname, config);
  return Promise.reject(new Error(`catalogue-stub.js: unexpected request to ${url}`));
};
