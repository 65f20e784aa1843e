/**
 * The markdown that `npm run bench` and the reliability suite publish: table cells, and the marked
 * block of a docs page that a full run rewrites (`<!-- name:begin -->` … `<!-- name:end -->`; the
 * rest of the page is written by hand). Plain CommonJS, because jest loads the reliability reporter
 * without compiling it, and the TypeScript benchmarks share these rules with it.
 */
const fs = require('node:fs');

/**
 * One cell of a markdown table: `|` escaped, line breaks folded, nothing shown as "–".
 * @param {string | number | undefined} value
 * @returns {string}
 */
function tableCell(value) {
  if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '–';
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The two comment lines that enclose a generated block.
 * @param {string} name e.g. "bench", "reliability"
 */
function blockMarkers(name) {
  return { begin: `<!-- ${name}:begin -->`, end: `<!-- ${name}:end -->` };
}

/**
 * `text` with the block between the markers of `name` replaced by `block` (the markers stay).
 * Throws, naming the markers, when they are missing, repeated or out of order.
 * @param {string} text the whole page
 * @param {string} name
 * @param {string} block the new content, without markers
 * @returns {string}
 */
function replaceMarkedBlock(text, name, block) {
  const { begin, end } = blockMarkers(name);
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  const once = (marker) => text.indexOf(marker) === text.lastIndexOf(marker);
  if (start < 0 || stop < start || !once(begin) || !once(end)) {
    throw new Error(`expected one "${begin}" line followed by one "${end}" line`);
  }
  return `${text.slice(0, start)}${begin}\n${block.trim()}\n${text.slice(stop)}`;
}

/**
 * Rewrites the block `name` of the page at `file` (see {@link replaceMarkedBlock}).
 * @param {string} file
 * @param {string} name
 * @param {string} block
 */
function writeMarkedBlock(file, name, block) {
  let page;
  try {
    page = replaceMarkedBlock(fs.readFileSync(file, 'utf8'), name, block);
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  fs.writeFileSync(file, page);
}

module.exports = { tableCell, blockMarkers, replaceMarkedBlock, writeMarkedBlock };
