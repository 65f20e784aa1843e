import { fileNameFromUrl } from '../../../nodes/core/files/file-name';

describe('fileNameFromUrl', () => {
  test('the last path segment, decoded, without query or fragment', () => {
    expect(fileNameFromUrl('https://services.terrascope.be/download/a/My%20tile.tif?token=x#y')).toBe('My tile.tif');
    expect(fileNameFromUrl('/download/synthetic/4096.bin')).toBe('4096.bin');
    expect(fileNameFromUrl(new URL('https://example.com/a/b%C3%A9.tif?q=1'))).toBe('bé.tif');
  });

  test('a path ending with "/" names no file', () => {
    expect(fileNameFromUrl('https://example.com/dir/')).toBe('');
    expect(fileNameFromUrl(new URL('https://example.com/'))).toBe('');
  });

  test('a malformed escape is kept as it is instead of throwing', () => {
    expect(fileNameFromUrl('/download/100%.tif')).toBe('100%.tif');
    expect(fileNameFromUrl(new URL('https://example.com/%E0%A4%A.tif'))).toBe('%E0%A4%A.tif');
  });
});
