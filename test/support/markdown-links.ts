/**
 * Reads the relative links of markdown pages and checks that each one lands: the file or folder
 * exists, and a `#fragment` names a heading (or an explicit `<a id>`) of the page it points at.
 * Fragments follow GitHub's rule for heading ids, since GitHub (and npm, which links back to it)
 * is where the README and docs/ are read.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One link found in a page: where it is and what it points at, as written. */
export interface MarkdownLink {
  file: string;
  line: number;
  target: string;
}

/** A link that does not land, with the reason. */
export interface BrokenLink extends MarkdownLink {
  problem: string;
}

const FENCE = /^\s*(```|~~~)/;

/** The page's lines with fenced code blocks, inline code and HTML comments blanked out (line numbers kept). */
function proseLines(text: string): string[] {
  let inFence = false;
  const withoutComments = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  return withoutComments.split('\n').map((line) => {
    if (FENCE.test(line)) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : line.replace(/`+[^`]*`+/g, '');
  });
}

/** Every link target of a markdown page: inline links and images, reference definitions, HTML src/href. */
export function linksIn(file: string, text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  const patterns = [
    /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g,
    /\b(?:src|href)="([^"]+)"/g,
  ];
  proseLines(text).forEach((line, index) => {
    for (const pattern of patterns) {
      for (const match of line.matchAll(pattern)) links.push({ file, line: index + 1, target: match[1] });
    }
  });
  return links;
}

/** The id GitHub gives a heading: its text in lower case, punctuation and symbols dropped, each space a hyphen. */
export function headingId(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The fragments a page answers to: heading ids (repeats numbered -1, -2 as GitHub does) and `<a id|name>`. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const id = headingId(heading[1]);
      const count = seen.get(id) ?? 0;
      seen.set(id, count + 1);
      anchors.add(count === 0 ? id : `${id}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  return anchors;
}

/**
 * Checks one link: a target with a scheme (https:, mailto:) is not ours to check; a path is
 * resolved against the page's folder and must exist; a fragment must be an anchor of the target
 * page (the same page when the path is empty).
 */
export function checkLink(link: MarkdownLink): BrokenLink | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [rawPath, fragment] = link.target.split('#', 2);
  const target = rawPath ? path.resolve(path.dirname(link.file), decodeURIComponent(rawPath)) : link.file;
  if (!fs.existsSync(target)) return { ...link, problem: `${path.relative(path.dirname(link.file), target)} does not exist` };
  if (fragment === undefined || fragment === '') return undefined;
  if (!target.endsWith('.md')) return { ...link, problem: `#${fragment} points into a file that is not markdown` };
  if (!anchorsOf(fs.readFileSync(target, 'utf8')).has(decodeURIComponent(fragment))) {
    return { ...link, problem: `${path.basename(target)} has no heading or anchor #${fragment}` };
  }
  return undefined;
}

/** The relative links of the given pages, and the ones among them that do not land. */
export function checkPages(files: string[]): { links: MarkdownLink[]; broken: BrokenLink[] } {
  const links = files.flatMap((file) => linksIn(file, fs.readFileSync(file, 'utf8')));
  const broken = links.map(checkLink).filter((b): b is BrokenLink => b !== undefined);
  return { links: links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target)), broken };
}
