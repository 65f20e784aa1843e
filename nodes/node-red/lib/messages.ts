/**
 * Runtime texts from the node's message catalogue. Node-RED translates through `RED._`; where a
 * runtime has not loaded the catalogue (embedded runtimes, test harnesses answer with the key
 * itself) the bundled English catalogue is used, so a status never reads as a bare key.
 */
import type { NodeRedApi } from './red';

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
  return (key, substitutions) => {
    const translated = RED._(key, substitutions);
    if (typeof translated === 'string' && translated !== key && translated.length > 0) return translated;
    const template = lookup(catalogue, key);
    return template === undefined ? key : interpolate(template, substitutions);
  };
}
