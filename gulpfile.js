/**
 * Build: `tsc` compiles TypeScript into dist/; gulp copies what tsc does not — Node-RED editor
 * HTML (the runtime looks for it beside the compiled .js), locale catalogues and icons — and
 * writes the package's editor resources into resources/, the folder Node-RED serves at
 * /resources/<package name>/ (editor scripts, and the world outlines the dialogs' map draws).
 */
const { src, dest, series, parallel } = require('gulp');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Node-RED serves a package's resources/ folder (beside package.json) to the editor. */
const RESOURCES = 'resources';

function clean(done) {
  fs.rmSync('dist', { recursive: true, force: true });
  fs.rmSync(RESOURCES, { recursive: true, force: true });
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

function editorScripts() {
  return src(['nodes/node-red/resources/**'], { base: 'nodes/node-red/resources' }).pipe(dest(RESOURCES));
}

/**
 * A ring of [lon, lat] as a flat map can draw it. A ring that crosses the antimeridian (a step of
 * more than 180° between two points: Fiji, Chukotka) is made continuous, past ±180°, and repeated
 * 360° away so both halves show; one that goes round a pole (Antarctica) is closed along the pole.
 */
function flatMapRings(ring) {
  const out = [ring[0]];
  for (const [lon, lat] of ring.slice(1)) {
    const previous = out[out.length - 1][0];
    out.push([lon + 360 * Math.round((previous - lon) / 360), lat]);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (Math.abs(last[0] - first[0]) > 180) {
    const pole = first[1] < 0 ? -90 : 90;
    out.push([last[0], pole], [first[0], pole], first);
  }
  const lons = out.map(([lon]) => lon);
  const [min, max] = [Math.min(...lons), Math.max(...lons)];
  return [-360, 0, 360].filter((k) => min + k < 180 && max + k > -180).map((k) => out.map(([lon, lat]) => [lon + k, lat]));
}

/**
 * Country outlines for the map: Natural Earth 1:110m (public domain) from the world-atlas
 * package's TopoJSON, decoded here with topojson-client so the editor draws plain coordinates:
 * the rings of the land (countries merged) and the borders between countries, each drawn once.
 * Coordinates are rounded to 0.01°, finer than the 1:110m data itself; the file stays ~100 KB.
 */
function worldOutlines(done) {
  const topojson = require('topojson-client');
  const source = require.resolve('world-atlas/countries-110m.json');
  const world = JSON.parse(fs.readFileSync(source, 'utf8'));
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(source), 'package.json'), 'utf8')).version;
  const flat = (points) => points.flatMap(([lon, lat]) => [Math.round(lon * 100) / 100, Math.round(lat * 100) / 100]);
  const land = topojson.merge(world, world.objects.countries.geometries);
  const borders = topojson.mesh(world, world.objects.countries, (a, b) => a !== b);
  const outlines = {
    source: `Natural Earth 1:110m countries (public domain), via world-atlas ${version} (ISC)`,
    land: land.coordinates.flat().flatMap(flatMapRings).map(flat),
    borders: borders.coordinates.map(flat),
  };
  fs.mkdirSync(RESOURCES, { recursive: true });
  fs.writeFileSync(path.join(RESOURCES, 'world-110m.json'), JSON.stringify(outlines));
  done();
}

const build = series(clean, compile, parallel(editorHtml, locales, icons, codex, editorScripts, worldOutlines));

exports.clean = clean;
exports.build = build;
exports.default = build;
