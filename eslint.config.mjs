// ESLint for the project's TypeScript and JavaScript: the recommended rules of ESLint and
// typescript-eslint, with formatting left to Prettier (eslint-config-prettier switches off the
// rules that would fight it). `npm run lint` runs both; `npm test` runs it first.
//
// n8n's own linter for community packages has its own config, eslint.n8n.config.mjs, run by
// test/n8n/lint.test.ts with the linter from .cache/.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      'coverage/**',
      'test-artifacts/**',
      '.demo/**',
      '.emulator-data/**',
      'resources/**',
      'eslint.n8n.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.jest },
    },
    rules: {
      // Prettier wraps code at 140; comments and long strings are wrapped by hand, up to 160.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      // Unused arguments keep their documented place in callbacks when named with a leading _.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Types are TypeScript's to check; no-undef does not know them.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    // Node-RED's constructor functions keep \`const node = this\` for the callbacks they register,
    // as Node-RED's own nodes do.
    files: ['nodes/node-red/**/*.ts'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    // Plain CommonJS files: build scripts, jest configs and reporters, child processes of tests.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Node-RED editor resources: classic scripts in the browser, beside jQuery and the editor's RED.
    files: ['nodes/node-red/resources/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
);
