/**
 * Runs the provider emulator as a process for manual use, the offline demo and benchmarks:
 *   node dist/test/emulator/cli.js [--port 8480] [--second-port 8481]
 * (or EMULATOR_PORT / EMULATOR_SECOND_PORT). Prints every endpoint and stays up until SIGINT/SIGTERM.
 */
import { DEMO_CLIENT, DEMO_USER, startEmulator } from './server';
import type { EmulatorConfig } from './types';

function argValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
}

function portOf(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`invalid ${what}: ${value}\n`);
    process.exit(2);
  }
  return n;
}

/** `--config '{"latencyMs":40}'`: knobs to start with (the same as POST /__emulator/config). */
function configOf(value: string | undefined): Partial<EmulatorConfig> {
  if (value === undefined || value === '') return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Partial<EmulatorConfig>;
  } catch {
    // Reported below.
  }
  process.stderr.write(`invalid --config: expected a JSON object, e.g. '{"latencyMs":40}'\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'usage: cli.js [--port 8480] [--second-port 8481] [--config \'{"latencyMs":40}\']   (env: EMULATOR_PORT, EMULATOR_SECOND_PORT, EMULATOR_CONFIG; 0 = any free port)\n',
    );
    return;
  }
  const port = portOf(argValue(args, '--port') ?? process.env.EMULATOR_PORT, 8480, 'port');
  const secondPort = portOf(argValue(args, '--second-port') ?? process.env.EMULATOR_SECOND_PORT, port === 0 ? 0 : port + 1, 'second port');
  const config = configOf(argValue(args, '--config') ?? process.env.EMULATOR_CONFIG);
  const emulator = await startEmulator({ ...config, port, secondPort });
  const e = emulator.endpoints;
  const lines = [
    'EO provider emulator (Sentinel Hub, CDSE, Terrascope) on 127.0.0.1',
    `  main origin            ${emulator.url}`,
    `  second origin          ${emulator.secondUrl}`,
    '',
    'Sentinel Hub',
    `  token (legacy)         ${e.sentinelHub.tokenUrl}`,
    `  token (realm main)     ${e.sentinelHub.realmTokenUrl}`,
    `  token info             ${emulator.url}/oauth/tokeninfo   (GET with Authorization: Bearer <token>)`,
    `  API base URL           ${e.sentinelHub.baseUrl}   (/api/v1/process, /api/v1/catalog/1.0.0/search, /api/v1/statistics, /api/v2/batch/process)`,
    'CDSE',
    `  token (realm CDSE)     ${e.cdse.tokenUrl}`,
    `  API base URL           ${e.cdse.baseUrl}`,
    'Terrascope',
    `  token (realm terrascope) ${e.terrascope.tokenUrl}`,
    `  download               ${e.terrascope.baseUrl}/download/...`,
    `  OpenSearch             ${e.terrascope.baseUrl}/catalogue/products`,
    `  STAC                   ${e.terrascope.stacUrl}`,
    '',
    'Demo credentials',
    `  OAuth client (all realms)   client_id=${DEMO_CLIENT.clientId} client_secret=${DEMO_CLIENT.clientSecret}`,
    `  Terrascope user             username=${DEMO_USER.username} password=${DEMO_USER.password} (client_id=public; on CDSE client_id=cdse-public)`,
    '',
    'Controls',
    `  GET  ${emulator.url}/__emulator/counters | log | endpoints | config`,
    `  POST ${emulator.url}/__emulator/faults | config | reset | revoke-refresh-tokens ; DELETE /__emulator/faults`,
    `  POST ${emulator.url}/__emulator/scenes {"cloudCover":7} | scenes/republish {"id":"..."} ; GET | DELETE /__emulator/scenes`,
    '',
    'Examples',
    `  curl -s -d grant_type=client_credentials -d client_id=${DEMO_CLIENT.clientId} -d client_secret=${DEMO_CLIENT.clientSecret} ${e.sentinelHub.realmTokenUrl}`,
    `  curl -s -d grant_type=password -d client_id=public -d username=${DEMO_USER.username} -d password=${DEMO_USER.password} ${e.terrascope.tokenUrl}`,
    `  curl -s -u ${DEMO_USER.username}:${DEMO_USER.password} -o tile.tif ${e.terrascope.baseUrl}/download/WORLDCOVER/ESA_WORLDCOVER_10M_2020_V100/MAP/ESA_WorldCover_10m_2020_v100_N00E006_Map/ESA_WorldCover_10m_2020_v100_N00E006_Map.tif`,
    '',
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping\n`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
