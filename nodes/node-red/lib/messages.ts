/**
 * Runtime texts from the node's message catalogue. Node-RED translates through `RED._`; where a
 * runtime has not loaded the catalogue (embedded runtimes, test harnesses answer with the key
 * itself) the bundled English catalogue is used, so a status never reads as a bare key.
 */
import type { NodeRedApi } from './red';

/** Translations a translator remembers at most. */
const MEMO_LIMIT = 200;

type Catalogue = { [key: string]: string | Catalogue };
export type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

function lookup(catalogue: Catalogue, key: string): string | undefined {
  let at: string | Catalogue | undefined = catalogue;
  for (const part of key.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = at[part];
  }
  return typeof at === 'string' ? at : undefined;
}

function interpolate(template: string, substitutions: Record<string, string | number> = {}): string {
  return template.replace(/__(\w+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
}

/**
 * A translator for one node type.
 *
 * @example
 * const t = translator(RED, catalogue);
 * t('eo-request.status.requests', { count: 2 }); // "2 requests"
 */
export function translator(RED: Pick<NodeRedApi, '_'>, catalogue: Catalogue): Translate {
  // The status badge asks for the same few texts ("3 requests") with every message, and each trip
  // through the runtime's i18n costs more than the rest of the badge: answers are remembered.
  const remembered = new Map<string, string>();
  return (key, substitutions) => {
    const memoKey = substitutions === undefined ? key : `${key}\u0000${JSON.stringify(substitutions)}`;
    const known = remembered.get(memoKey);
    if (known !== undefined) return known;
    const translated = RED._(key, substitutions);
    if (typeof translated === 'string' && translated !== key && translated.length > 0) {
      // Bounded: error texts carry URLs and names, and must not pile up in a long-running runtime.
      if (remembered.size >= MEMO_LIMIT) remembered.clear();
      remembered.set(memoKey, translated);
      return translated;
    }
    // Not remembered: the runtime may not have loaded the catalogue yet, and will answer later.
    const template = lookup(catalogue, key);
    return template === undefined ? key : interpolate(template, substitutions);
  };
}
