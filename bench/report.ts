/**
 * What every benchmark section hands back, and how `npm run bench` writes it: one JSON file for
 * machines (bench/results.json) and one markdown table for people (bench/results.md, also quoted
 * in the README). Every figure is a count, or a ratio against a peer measured in the same run.
 */

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
