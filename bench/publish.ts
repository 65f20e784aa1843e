/**
 * Where a benchmark run's results go. A full run of every section is the published one: it writes
 * bench/results.json and bench/results.md and rewrites the tables in docs/performance.md (between
 * its `bench` markers). Any other run (--quick, --only) writes the same three files under
 * test-artifacts/bench/ and leaves the published ones alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeMarkedBlock } from '../test/support/markdown';
import { renderMarkdown, renderSummary, type BenchResults } from './report';

/** The page whose marked block a full run rewrites, relative to the repository root. */
export const PERFORMANCE_PAGE = path.join('docs', 'performance.md');
export const PERFORMANCE_BLOCK = 'bench';

/** Writes the results under `root` (the repository); returns the files written, relative to it. */
export function writeBenchResults(results: BenchResults, root: string, published: boolean): string[] {
  const outDir = published ? 'bench' : path.join('test-artifacts', 'bench');
  fs.mkdirSync(path.join(root, outDir), { recursive: true });
  const written = [path.join(outDir, 'results.json'), path.join(outDir, 'results.md')];
  fs.writeFileSync(path.join(root, written[0]), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(root, written[1]), renderMarkdown(results));
  const summary = renderSummary(results, published);
  if (published) {
    // The results files are written first: a page without its markers must not cost the run.
    writeMarkedBlock(path.join(root, PERFORMANCE_PAGE), PERFORMANCE_BLOCK, summary);
    written.push(PERFORMANCE_PAGE);
  } else {
    written.push(path.join(outDir, 'summary.md'));
    fs.writeFileSync(path.join(root, written[2]), summary);
  }
  return written;
}
