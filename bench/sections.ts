/** The sections `npm run bench` runs, in this order (`--only <name,...>` picks some). */
import { runOverhead } from './overhead';
import type { BenchSectionRunner } from './report';
import { runTokens } from './tokens';

export const SECTIONS: { name: string; run: BenchSectionRunner }[] = [
  { name: 'tokens', run: runTokens },
  { name: 'overhead', run: runOverhead },
];
