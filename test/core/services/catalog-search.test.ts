import type { Emulator, RequestLogEntry } from '../../emulator/types';
import type { ConnectionSettings } from '../../../nodes/core/config/connection';
import { catalogSearchAll } from '../../../nodes/core/services/catalog-search';
import { apiRequests, CATALOG_QUERY, sentinelHubRequest, useEmulator } from '../../support/fixtures';

let emu: Emulator;
useEmulator((started) => (emu = started));

const setup = (over: Partial<ConnectionSettings> = {}) => sentinelHubRequest(emu, over);
const apiLog = (): RequestLogEntry[] => apiRequests(emu);

describe('catalogSearchAll', () => {
  it('follows next pages up to the feature limit', async () => {
    const opts = { ...setup(), body: { ...CATALOG_QUERY, limit: 5 } };
    const some = await catalogSearchAll(opts, { limit: 12 });
    expect(some.features).toHaveLength(12);
    expect(some.pages).toBe(3);
    expect(some.next).toBeDefined();
    const ids = new Set((some.features as { id: string }[]).map((f) => f.id));
    expect(ids.size).toBe(12);
    expect(apiLog()).toHaveLength(3);

    const all = await catalogSearchAll(opts, { limit: 1000 });
    expect(all.features).toHaveLength(emu.config.catalogTotal);
    expect(all.pages).toBe(Math.ceil(emu.config.catalogTotal / 5));
    expect(all.next).toBeUndefined();
  });
});
