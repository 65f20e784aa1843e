/**
 * The faults a soak injects at random (seeded), one every 2–5 s: a 429 with Retry-After or a 5xx
 * from an API, a connection reset or a short body in the middle of a download, a 503 from a token
 * endpoint. Both engines' soaks draw from this one list.
 */
import { rateLimitFault } from '../../emulator/server';
import type { FaultScript } from '../../emulator/types';

/** Sizes of the synthetic files the soaks download, in turn: none a multiple of the read size. */
export const SOAK_DOWNLOAD_SIZES = [1_500_000, 2_345_678, 3_000_001, 4_194_304];

/** The random fault of one tick, from the five kinds the soak injects. */
export function randomFault(random: () => number): { kind: string; script: FaultScript } {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const apiRoute = pick(['^POST /api/v1/process$', '^POST /api/v1/catalog/1.0.0/search$']);
  switch (pick(['429', '5xx', 'reset', 'short', 'token 503'])) {
    case '429':
      return { kind: 'API 429 with Retry-After', script: rateLimitFault(apiRoute, 200 + Math.floor(random() * 1300), { times: 1 }) };
    case '5xx': {
      const route = pick([apiRoute, '^GET /download/synthetic/']);
      return {
        kind: 'API 5xx',
        script: {
          route,
          status: pick([500, 502, 503, 504]),
          body: { error: { status: 503, reason: 'Service Unavailable', message: 'injected', code: 'SOAK' } },
          times: 1,
        },
      };
    }
    case 'reset':
      return {
        kind: 'reset mid-download',
        script: { route: '^GET /download/synthetic/', resetAfterBytes: 50_000 + Math.floor(random() * 1_000_000), times: 1 },
      };
    case 'short':
      return {
        kind: 'short body',
        script: { route: '^GET /download/synthetic/', shortBodyBytes: 50_000 + Math.floor(random() * 1_000_000), times: 1 },
      };
    default:
      return {
        kind: 'token endpoint 503 once',
        script: {
          route: pick(['^POST /oauth/token$', '^POST /auth/realms/terrascope/protocol/openid-connect/token$']),
          status: 503,
          body: 'Service Unavailable',
          times: 1,
        },
      };
  }
}
