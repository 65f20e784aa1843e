import { readJsonObject } from '../../../nodes/core/config/json-object';

describe('readJsonObject: a JSON object typed as text or mapped as a value', () => {
  test('an object as it is, and JSON text of an object parsed', () => {
    const mapped = { collections: ['sentinel-2-l2a'] };
    expect(readJsonObject(mapped)).toEqual({ ok: true, value: mapped });
    expect(readJsonObject(' {"limit": 5} ')).toEqual({ ok: true, value: { limit: 5 } });
  });

  test('text that JSON.parse refuses, empty text included, is not JSON', () => {
    for (const text of ['{"limit":', 'hello', '']) {
      expect(readJsonObject(text)).toEqual({ ok: false, problem: 'not-json', got: 'text that is not valid JSON' });
    }
  });

  test('anything else is no object, and says what it is', () => {
    const cases: [unknown, string][] = [
      [42, 'number'],
      [true, 'boolean'],
      [undefined, 'undefined'],
      [null, 'null'],
      [[1, 2], 'an array'],
      [Buffer.from('{"a":1}'), 'a Buffer'],
      ['[1, 2]', 'a JSON array'],
      ['42', 'a JSON number'],
      ['"text"', 'a JSON string'],
      ['null', 'JSON null'],
    ];
    for (const [value, got] of cases)
      expect({ value, read: readJsonObject(value) }).toEqual({ value, read: { ok: false, problem: 'not-an-object', got } });
  });
});
