/** The sections `npm run bench` runs, in this order (`--only <name,...>` picks some). */
import { runBulk } from './bulk';
import { runDownloads } from './downloads';
import { runN8nDownload } from './n8n-download';
import { runOverhead } from './overhead';
import { runScaleOut } from './scale-out';
import type { BenchSectionRunner } from './report';
import { runTokens } from './tokens';

export const SECTIONS: { name: string; run: BenchSectionRunner }[] = [
  { name: 'tokens', run: runTokens },
  { name: 'overhead', run: runOverhead },
  { name: 'downloads', run: runDownloads },
  { name: 'n8n', run: runN8nDownload },
  { name: 'scale-out', run: runScaleOut },
  { name: 'bulk', run: runBulk },
];
