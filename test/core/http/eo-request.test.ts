import type { Readable } from 'node:stream';
import type { Emulator } from '../../emulator/types';
import type { ConnectionSettings } from '../../../nodes/core/config/connection';
import { eoRequest } from '../../../nodes/core/http/eo-request';
import { CATALOG_QUERY, GOLDEN_PROCESS, sentinelHubRequest, useEmulator } from '../../support/fixtures';

let emu: Emulator;
useEmulator((started) => (emu = started));

const setup = (over: Partial<ConnectionSettings> = {}) => sentinelHubRequest(emu, over);

describe('eoRequest against the emulator', () => {
  it('reads json, text, buffer and stream bodies', async () => {
    const base = { ...setup(), method: 'POST', url: '/api/v1/catalog/1.0.0/search', body: { ...CATALOG_QUERY, limit: 2 } };
    const json = await eoRequest<{ features: unknown[] }>(base);
    expect(json.body.features).toHaveLength(2);
    expect(json.bytes).toBeGreaterThan(0);
    const text = await eoRequest<string>({ ...base, responseType: 'text' });
    expect(typeof text.body).toBe('string');
    expect(JSON.parse(text.body)).toEqual(json.body);
    const buffer = await eoRequest<Buffer>({ ...base, responseType: 'buffer' });
    expect(Buffer.isBuffer(buffer.body)).toBe(true);
    expect(buffer.body.toString('utf8')).toBe(text.body);
    const stream = await eoRequest<Readable>({ ...base, responseType: 'stream' });
    const chunks: Buffer[] = [];
    for await (const chunk of stream.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(text.body);
    expect(stream.bytes).toBeUndefined();
  });

  it('returns the golden 54×60 GeoTIFF with its processing units', async () => {
    const res = await eoRequest<Buffer>({
      ...setup(),
      method: 'POST',
      url: '/api/v1/process',
      body: GOLDEN_PROCESS,
      headers: { accept: 'image/tiff' },
    });
    expect(res.statusCode).toBe(200);
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect(['49492a00', '4d4d002a']).toContain(res.body.subarray(0, 4).toString('hex'));
    expect(res.processingUnits).toBeGreaterThan(0);
    expect(res.processingUnits).toBe(Number(res.headers['x-processingunits-spent']));
    expect(res.bytes).toBe(res.body.length);
  });
});
