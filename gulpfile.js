/**
 * Build: `tsc` compiles TypeScript into dist/; gulp copies what tsc does not — Node-RED editor
 * HTML (the runtime looks for it beside the compiled .js), locale catalogues and icons.
 */
const { src, dest, series, parallel } = require('gulp');
const { spawn } = require('node:child_process');
const fs = require('node:fs');

function clean(done) {
  fs.rmSync('dist', { recursive: true, force: true });
  done();
}

function compile() {
  // The tsc binary of this package, run by the same Node that runs gulp.
  return spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
}

function editorHtml() {
  return src(['nodes/**/*.html'], { base: '.', allowEmpty: true }).pipe(dest('dist'));
}

function locales() {
  return src(['nodes/**/locales/**/*.json', 'nodes/**/locales/**/*.html'], { base: '.', allowEmpty: true }).pipe(dest('dist'));
}

function icons() {
  // encoding:false keeps PNG bytes intact (gulp 5 reads files as UTF-8 by default).
  return src(['nodes/**/icons/*', 'nodes/**/*.svg', 'nodes/**/*.png', 'credentials/**/*.svg', 'credentials/**/*.png'], {
    base: '.',
    encoding: false,
    allowEmpty: true,
  }).pipe(dest('dist'));
}

function codex() {
  // n8n codex files describe each node for the n8n node panel.
  return src(['nodes/**/*.node.json'], { base: '.', allowEmpty: true }).pipe(dest('dist'));
}

const build = series(clean, compile, parallel(editorHtml, locales, icons, codex));

exports.clean = clean;
exports.build = build;
exports.default = build;
