// n8n's own lint rules for community node packages (`n8n-node lint`, from @n8n/node-cli).
//
// Strict mode ("strict": true in package.json) requires this file to be n8n's template verbatim,
// and that template carries the n8n Cloud rules, which forbid runtime dependencies and imports
// other than n8n-workflow. This package needs undici (HTTP with proxy support and streaming),
// jose (JWT expiry) and Node's fs/stream (resumable downloads), so it uses n8n's config without
// the Cloud rules, and switches off the few rules below, each for the reason given.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
  {
    // Only what n8n loads is linted with n8n's rules: the Node-RED nodes, tests, benchmarks and
    // build output follow their own conventions.
    ignores: [
      'dist/**',
      'test/**',
      'bench/**',
      'nodes/node-red/**',
      'examples/**',
      'n8n-workflows/**',
      '.cache/**',
      'gulpfile.js',
      'jest.config.js',
    ],
  },
  ...configWithoutCloudSupport,
  {
    files: ['package.json'],
    rules: {
      // undici and jose are real runtime dependencies (see above).
      '@n8n/community-nodes/no-runtime-dependencies': 'off',
      // The package is Apache-2.0 (LICENSE); the rule expects the starter template's MIT.
      'n8n-nodes-base/community-package-json-license-not-default': 'off',
      // The project publishes no contact e-mail address; author.name is present.
      '@n8n/community-nodes/valid-author': 'off',
      // `overrides` pins a tool of our own development install (docs/development.md); npm ignores it
      // when the package is installed into n8n, so it cannot affect n8n or other nodes.
      '@n8n/community-nodes/no-overrides-field': 'off',
      // It takes the Node-RED node named "eo-auth" in the "node-red" map for a secret; the
      // source files, where a secret could hide, keep the rule.
      '@n8n/community-nodes/no-hardcoded-secrets': 'off',
    },
  },
  {
    // The engine-agnostic core never imports n8n-workflow (it also serves Node-RED): it throws
    // its own EoError, which the n8n nodes turn into NodeApiError / NodeOperationError in
    // nodes/n8n-shared/node-errors.ts. Its provider field list is not an n8n parameter list;
    // secret fields become `typeOptions.password` in credentials/credentialFields.ts.
    files: ['nodes/core/**/*.ts'],
    rules: {
      '@n8n/community-nodes/require-node-api-error': 'off',
      'n8n-nodes-base/node-param-type-options-password-missing': 'off',
    },
  },
];
