/** The mark on response headers: unchanged headers are recognised, any edit is seen. */
import { isUnchangedResponse, markResponseHeaders, RESPONSE_MARK } from '../../nodes/node-red/lib/eo-request/response-headers';

const answer = { 'content-type': 'image/png', 'content-length': '120', 'set-cookie': ['a=1', 'b=2'], 'x-processingunits-spent': '0.01' };

test('headers passed on unchanged, reordered or through JSON are recognised as an answer', () => {
  const marked = markResponseHeaders(answer);
  expect(typeof marked[RESPONSE_MARK]).toBe('string');
  expect(isUnchangedResponse(marked)).toBe(true);
  expect(isUnchangedResponse(JSON.parse(JSON.stringify(marked)) as Record<string, unknown>)).toBe(true);
  const reordered = Object.fromEntries(Object.entries(marked).reverse());
  expect(isUnchangedResponse(reordered)).toBe(true);
});

test("every kind of edit makes the headers a flow's own", () => {
  const marked = markResponseHeaders(answer);
  const edits: Record<string, unknown>[] = [
    { ...marked, 'x-trace': 'edited' },
    { ...marked, 'content-type': 'image/tiff' },
    { ...marked, 'content-length': 120 },
    { ...marked, 'set-cookie': 'a=1,b=2' },
    { ...marked, 'set-cookie': ['a=1'] },
    { ...marked, 'set-cookie': ['a=1b', '=2'] },
    { ...marked, 'x-new': undefined },
    { ...marked, 'x-new': null },
    Object.fromEntries(Object.entries(marked).filter(([name]) => name !== 'content-length')),
    { ...marked, 'content-type': undefined },
    { ...marked, [RESPONSE_MARK]: 'x' },
  ];
  for (const edited of edits) expect(isUnchangedResponse(edited)).toBe(false);
});

test('headers without the mark are not an answer', () => {
  expect(isUnchangedResponse({ ...answer })).toBe(false);
  expect(isUnchangedResponse({})).toBe(false);
});
