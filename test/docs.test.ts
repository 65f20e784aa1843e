/**
 * The README and docs/ keep their promises to a reader: every relative link and image lands on a
 * file and a heading that exist, the documentation links the package shows inside n8n land on a
 * README heading, and the pages the benchmark and the reliability suite rewrite still have the
 * markers those runs look for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PERFORMANCE_BLOCK, PERFORMANCE_PAGE } from '../bench/publish';
import { replaceMarkedBlock } from './support/markdown';
import { anchorsOf, checkPages, headingId } from './support/markdown-links';
import { repoRoot, tempDir } from './support/paths';
import { DOCS_BLOCK as RELIABILITY_BLOCK, DOCS_PAGE as RELIABILITY_PAGE } from './reliability/report';

const README = path.join(repoRoot, 'README.md');
const DOCS = path.join(repoRoot, 'docs');

function markdownPages(): string[] {
  const pages = fs.readdirSync(DOCS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md'));
  return [README, ...pages.map((f) => path.join(DOCS, f))];
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|json|html)$/.test(f))
    .map((f) => path.join(dir, f));
}

test('every relative link in the README and docs/ lands on a file and a heading that exist', () => {
  const { links, broken } = checkPages(markdownPages());
  expect(broken.map((b) => `${path.relative(repoRoot, b.file)}:${b.line} ${b.target}: ${b.problem}`)).toEqual([]);
  // Something was checked: the README alone links docs/ pages, images and its own headings.
  const fromReadme = links.filter((l) => l.file === README);
  expect(fromReadme.filter((l) => l.target.startsWith('docs/')).length).toBeGreaterThanOrEqual(8);
  expect(fromReadme.some((l) => l.target.startsWith('#'))).toBe(true);
});

test('the links the package shows in n8n land on a heading of the README', () => {
  const homepage = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { homepage: string }).homepage;
  const repository = homepage.split('#')[0];
  const anchors = anchorsOf(fs.readFileSync(README, 'utf8'));
  const found: string[] = [];
  for (const file of [...sourceFiles(path.join(repoRoot, 'nodes')), ...sourceFiles(path.join(repoRoot, 'credentials'))]) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(new RegExp(`${repository.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}#([\\w-]+)`, 'g'))) {
      found.push(`${path.relative(repoRoot, file)} #${match[1]}${anchors.has(match[1]) ? '' : ' (missing)'}`);
    }
  }
  expect(found.length).toBeGreaterThanOrEqual(3);
  expect(found.filter((f) => f.endsWith('(missing)'))).toEqual([]);
});

test('the pages a full benchmark or reliability run rewrites have their markers', () => {
  for (const [page, block] of [
    [path.join(repoRoot, PERFORMANCE_PAGE), PERFORMANCE_BLOCK],
    [RELIABILITY_PAGE, RELIABILITY_BLOCK],
  ]) {
    expect(() => replaceMarkedBlock(fs.readFileSync(page, 'utf8'), block, 'table')).not.toThrow();
  }
});

describe('the link check itself', () => {
  test('heading ids as GitHub makes them', () => {
    expect(headingId('What `npm test` does')).toBe('what-npm-test-does');
    expect(headingId('1a. Token efficiency: cold burst')).toBe('1a-token-efficiency-cold-burst');
    expect(headingId('Try it: the demo')).toBe('try-it-the-demo');
    expect(headingId('[Performance](docs/performance.md) & more')).toBe('performance--more');
    expect([...anchorsOf('# A\n```\n# not a heading\n```\n## A\n<a id="custom"></a>')]).toEqual(['a', 'a-1', 'custom']);
  });

  test('a missing file, a missing heading and a missing fragment target are reported; code and URLs are not checked', () => {
    const dir = tempDir('eo-doc-links');
    try {
      fs.mkdirSync(path.join(dir, 'docs'));
      fs.writeFileSync(path.join(dir, 'docs', 'page.md'), '# Page\n\n## Known limitation\n\nBack to the [start](../README.md#start).\n');
      fs.writeFileSync(
        path.join(dir, 'README.md'),
        [
          '# Start',
          'Good: [page](docs/page.md), [limitation](docs/page.md#known-limitation), [here](#start), ![img](docs/).',
          'Broken: [gone](docs/gone.md), [heading](docs/page.md#not-there), [self](#nowhere).',
          'Not links: `[x](nothing.md)`, [web](https://example.com/#x), <!-- [c](nothing.md) -->',
          '```md',
          '[inside a fence](nothing.md)',
          '```',
        ].join('\n'),
      );
      const { links, broken } = checkPages([path.join(dir, 'README.md'), path.join(dir, 'docs', 'page.md')]);
      expect(links).toHaveLength(8);
      expect(broken.map((b) => [path.basename(b.file), b.line, b.target])).toEqual([
        ['README.md', 3, 'docs/gone.md'],
        ['README.md', 3, 'docs/page.md#not-there'],
        ['README.md', 3, '#nowhere'],
      ]);
      expect(broken[0].problem).toMatch(/does not exist/);
      expect(broken[1].problem).toMatch(/no heading or anchor #not-there/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
