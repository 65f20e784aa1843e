/** The providers the emulator stands in for: where each one's endpoints are on it, and its demo account. */
import { DEMO_CLIENT, DEMO_USER } from '../emulator/state';
import type { EmulatorEndpoints } from '../emulator/types';

/** The provider ids the emulator serves (every one but `custom`). */
export type EmulatedProvider = 'sentinel-hub' | 'cdse' | 'terrascope';

/** The token URL and API base URL of `provider` on the emulator (an Emulator, or a stack's target of it). */
export function emulatedEndpoints(
  emu: { endpoints: EmulatorEndpoints },
  provider: EmulatedProvider,
): { tokenUrl: string; baseUrl: string } {
  return { 'sentinel-hub': emu.endpoints.sentinelHub, cdse: emu.endpoints.cdse, terrascope: emu.endpoints.terrascope }[provider];
}

/** The emulator's demo credentials for `provider`: a user for Terrascope's password grant, a client otherwise. */
export function demoAccount(
  provider: EmulatedProvider,
): { clientId: string; clientSecret: string } | { username: string; password: string } {
  return provider === 'terrascope' ? { ...DEMO_USER } : { ...DEMO_CLIENT };
}
