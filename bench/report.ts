/**
 * What every benchmark section hands back, and how `npm run bench` renders it: one JSON file for
 * machines (bench/results.json), the full report with every note (bench/results.md), and the
 * summary tables that docs/performance.md shows. Every figure is a count, or a ratio against a
 * peer measured in the same run.
 */
import { tableCell as cell } from '../test/support/markdown';

/** One line of the table: our figure, the peer's, their ratio, and the goal it is held to. */
export interface BenchRow {
  /** What is measured, e.g. "cold burst: token requests for 1,000 concurrent requests". */
  metric: string;
  /** Our value, with its unit in `unit`. */
  ours: number;
  /** The peer's value in the same run, when there is one. */
  peer?: number;
  /** Who the peer is, e.g. "raw undici", "core http request node". */
  peerName?: string;
  unit: string;
  /** ours ÷ peer (or peer ÷ ours where smaller is better: say so in `ratioMeaning`). */
  ratio?: number;
  ratioMeaning?: string;
  /** The goal in words, e.g. "≥ 0.9× raw undici", "= 1". */
  goal?: string;
  /** Whether the goal was met in this run (undefined when there is no goal). */
  met?: boolean;
  /** Anything a reader needs to read the figure right. */
  note?: string;
}

export interface BenchSection {
  /** e.g. "1. Token efficiency". */
  title: string;
  /** How it was run: sizes, concurrency, durations, versions. */
  setup: string;
  rows: BenchRow[];
}

/** What the runner hands each section. */
export interface BenchContext {
  /** A fresh folder for this section's files; removed after the run. */
  workDir: string;
  /** Set by `--quick` (smaller sizes for a smoke run); the published table always comes from a full run. */
  quick: boolean;
  /** Progress lines for the console. */
  log(line: string): void;
}

export type BenchSectionRunner = (ctx: BenchContext) => Promise<BenchSection | BenchSection[]>;

/** Facts about the machine and the versions a run used, printed above the table. */
export interface BenchMachine {
  cpus: number;
  cpuModel: string;
  node: string;
  nodeRed: string;
  n8n: string;
  platform: string;
}

/** A section as it ended up in the run: its result, or the error that stopped it, and its duration. */
export interface BenchSectionOutcome {
  name: string;
  seconds: number;
  sections: BenchSection[];
  error?: string;
}

/** What bench/results.json holds. */
export interface BenchResults {
  startedAt: string;
  quick: boolean;
  totalSeconds: number;
  machine: BenchMachine;
  outcomes: BenchSectionOutcome[];
}

function metCell(met: boolean | undefined): string {
  return met === undefined ? '' : met ? 'yes' : '**no**';
}

function peerCell(r: BenchRow): string {
  return r.peer === undefined ? '–' : `${cell(r.peer)} ${r.unit}${r.peerName ? ` (${cell(r.peerName)})` : ''}`;
}

function machineLine(m: BenchMachine): string {
  return `${m.cpus} × ${m.cpuModel}, Node ${m.node}, Node-RED ${m.nodeRed}, n8n ${m.n8n}`;
}

/** The markdown report: machine facts, then per section its setup line and one table. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    '# Benchmark results',
    '',
    `Run ${results.startedAt}${results.quick ? ' (**--quick**: smoke sizes, not for publishing)' : ''}, ${results.totalSeconds.toFixed(0)} s in total. ` +
      `${m.cpus} × ${m.cpuModel}, ${m.platform}; Node ${m.node}, Node-RED ${m.nodeRed}, n8n ${m.n8n}.`,
    '',
    `Run time per section: ${results.outcomes.map((o) => `${o.name} ${o.seconds.toFixed(0)} s`).join(', ')}.`,
    '',
    'Every figure is a count, or a ratio against a peer measured in the same run.',
  ];
  for (const outcome of results.outcomes) {
    if (outcome.error) {
      lines.push('', `## ${outcome.name}`, '', `Failed after ${outcome.seconds.toFixed(0)} s: ${cell(outcome.error)}`);
      continue;
    }
    for (const section of outcome.sections) {
      lines.push('', `## ${section.title}`, '', section.setup, '');
      lines.push('| metric | ours | peer | ratio | goal | met | note |', '|---|---:|---:|---:|---|---|---|');
      for (const r of section.rows) {
        const peer = peerCell(r);
        const ratio = r.ratio === undefined ? '–' : `${cell(r.ratio)}×${r.ratioMeaning ? ` (${cell(r.ratioMeaning)})` : ''}`;
        lines.push(
          `| ${cell(r.metric)} | ${cell(r.ours)} ${cell(r.unit)} | ${peer} | ${ratio} | ${cell(r.goal)} | ${metCell(r.met)} | ${cell(r.note)} |`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The summary for docs/performance.md: when and where the run was made, then per section a table
 * of metric, ours, peer, ratio, goal and whether it was met (the notes stay in results.md).
 * `published`: a full run of every section, whose results.md is bench/results.md.
 */
export function renderSummary(results: BenchResults, published: boolean): string {
  const what = published ? 'Latest full run' : `Run${results.quick ? ' with --quick' : ''}, not published`;
  const notes = published ? '[`bench/results.md`](../bench/results.md)' : '`results.md` beside this file';
  const lines = [
    `${what} (${results.startedAt.slice(0, 10)}, ${results.totalSeconds.toFixed(0)} s; ${machineLine(results.machine)}).`,
    `The setup of each section and the notes behind each row are in ${notes}.`,
  ];
  for (const outcome of results.outcomes) {
    if (outcome.error) {
      lines.push('', `### ${outcome.name}`, '', `Failed after ${outcome.seconds.toFixed(0)} s: ${cell(outcome.error)}`);
      continue;
    }
    for (const section of outcome.sections) {
      lines.push('', `### ${section.title}`, '', '| metric | ours | peer | ratio | goal | met |', '|---|---:|---:|---:|---|---|');
      for (const r of section.rows) {
        const ratio = r.ratio === undefined ? '–' : `${cell(r.ratio)}×`;
        lines.push(
          `| ${cell(r.metric)} | ${cell(r.ours)} ${cell(r.unit)} | ${peerCell(r)} | ${ratio} | ${cell(r.goal)} | ${metCell(r.met)} |`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
