/** One table of media types by extension: file names of Process outputs, n8n's binary types. */
import { extensionOf, mediaTypeOf } from '../../../nodes/core/services/media-types';
import { eoRequest } from '../../../nodes/core/http/eo-request';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { SENTINEL_HUB_PATHS } from '../../../nodes/core/services/sentinel-hub-api';
import { emulatorConnection, useEmulator } from '../../support/fixtures';
import type { Emulator } from '../../emulator/types';

describe('mediaTypeOf', () => {
  test('the types of the files the providers serve, whatever the case of the extension', () => {
    expect(mediaTypeOf('ESA_WorldCover_10m_2021_v200_N00E006_Map.tif')).toBe('image/tiff');
    expect(mediaTypeOf('scene.TIFF')).toBe('image/tiff');
    expect(mediaTypeOf('quicklook.jpeg')).toBe('image/jpeg');
    expect(mediaTypeOf('items.geojson')).toBe('application/geo+json');
    expect(mediaTypeOf('stats.nc')).toBe('application/x-netcdf');
    expect(mediaTypeOf('outputs.tar')).toBe('application/tar');
  });

  test('anything else is application/octet-stream', () => {
    for (const name of ['data.bin', 'no-extension', 'archive.tar.', '']) expect(mediaTypeOf(name)).toBe('application/octet-stream');
  });
});

describe('extensionOf', () => {
  test('the extension files of a type get, from an Accept or Content-Type value', () => {
    expect(extensionOf('image/tiff')).toBe('tif');
    expect(extensionOf('image/jpeg')).toBe('jpg');
    expect(extensionOf('image/png')).toBe('png');
    expect(extensionOf('application/json')).toBe('json');
    expect(extensionOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(extensionOf('application/tar')).toBe('tar');
    expect(extensionOf('application/x-tar')).toBe('tar');
  });

  test('an unknown type gives bin', () => {
    expect(extensionOf('application/vnd.unknown')).toBe('bin');
    expect(extensionOf('')).toBe('bin');
  });

  test('each type and the extension it gives agree, both ways', () => {
    for (const type of [
      'image/tiff',
      'image/png',
      'image/jpeg',
      'application/json',
      'application/geo+json',
      'application/tar',
      'text/csv',
    ]) {
      expect(mediaTypeOf(`file.${extensionOf(type)}`)).toBe(type);
    }
  });
});

describe('a Process answer with several outputs', () => {
  let emu: Emulator;
  useEmulator((started) => (emu = started));

  test('is served as the tar type of the table, and saved as .tar', async () => {
    const connection = emulatorConnection(emu, 'sentinel-hub');
    const res = await eoRequest({
      connection,
      tokens: new TokenCache().provider(connection),
      method: 'POST',
      url: SENTINEL_HUB_PATHS.process,
      headers: { accept: mediaTypeOf('outputs.tar') },
      body: {
        input: {
          bounds: { bbox: [13.35, 52.5, 13.36, 52.51] },
          data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2024-06-01T00:00:00Z', to: '2024-06-30T23:59:59Z' } } }],
        },
        output: {
          width: 8,
          height: 8,
          responses: [
            { identifier: 'default', format: { type: 'image/tiff' } },
            { identifier: 'userdata', format: { type: 'application/json' } },
          ],
        },
        evalscript: '//VERSION=3\nfunction setup(){return{input:["B04"],output:{bands:1}}}\nfunction evaluatePixel(s){return[s.B04]}',
      },
      responseType: 'buffer',
    });
    expect(res.statusCode).toBe(200);
    const served = String(res.headers['content-type']);
    expect(served).toBe(mediaTypeOf('outputs.tar'));
    expect(extensionOf(served)).toBe('tar');
  });
});
