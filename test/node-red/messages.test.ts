/** The eo nodes' translator: the runtime's catalogue first, the bundled English one as fallback. */
import { translator } from '../../nodes/node-red/lib/messages';

const catalogue = { 'eo-request': { status: { requests: '__count__ requests' } } };

/** A runtime whose i18n answers with the key until its catalogue is "loaded". */
function runtime() {
  const state = { loaded: false, calls: 0 };
  const RED = {
    _: (key: string, subs?: Record<string, string | number>) => {
      state.calls += 1;
      return state.loaded ? `[runtime] ${key} ${JSON.stringify(subs ?? {})}` : key;
    },
  };
  return { RED, state };
}

test('a runtime translation is asked for once per text and substitutions', () => {
  const { RED, state } = runtime();
  state.loaded = true;
  const t = translator(RED, catalogue);
  expect(t('eo-request.status.requests', { count: 3 })).toBe('[runtime] eo-request.status.requests {"count":3}');
  expect(t('eo-request.status.requests', { count: 3 })).toBe('[runtime] eo-request.status.requests {"count":3}');
  expect(state.calls).toBe(1);
  expect(t('eo-request.status.requests', { count: 4 })).toBe('[runtime] eo-request.status.requests {"count":4}');
  expect(state.calls).toBe(2);
});

test('the bundled fallback is not remembered: once the runtime has the catalogue, its text wins', () => {
  const { RED, state } = runtime();
  const t = translator(RED, catalogue);
  expect(t('eo-request.status.requests', { count: 2 })).toBe('2 requests');
  state.loaded = true;
  expect(t('eo-request.status.requests', { count: 2 })).toBe('[runtime] eo-request.status.requests {"count":2}');
});
