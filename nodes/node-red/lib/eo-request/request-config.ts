/**
 * The eo-request node's properties as flows.json stores them (strings, mostly), turned into
 * typed settings with the node's documented defaults. Values are checked when a message uses them, so
 * a mistake is reported through `done(err)` naming the field, never by refusing to deploy.
 */
export type Operation = 'request' | 'process' | 'catalog' | 'statistics' | 'download' | 'worldcover';
export type OutputMode = 'auto' | 'json' | 'text' | 'buffer' | 'file';

export const OPERATIONS: readonly Operation[] = ['request', 'process', 'catalog', 'statistics', 'download', 'worldcover'];
const OUTPUTS: readonly OutputMode[] = ['auto', 'json', 'text', 'buffer', 'file'];

/** As stored in flows.json. */
export interface EoRequestProperties {
  name?: string;
  auth?: string;
  operation?: string;
  method?: string;
  url?: string;
  headers?: { name?: string; value?: string }[];
  accept?: string;
  output?: string;
  directory?: string;
  filename?: string;
  overwrite?: string;
  catalogLimit?: string | number;
  catalogSplit?: boolean | string;
  year?: string | number;
  bbox?: string;
}

/** Typed, with defaults applied. */
export interface EoRequestConfig {
  operation: Operation;
  /** An HTTP method, or "use" for msg.method. */
  method: string;
  url: string;
  headers: Record<string, string>;
  accept: string;
  output: OutputMode;
  directory: string;
  filename: string;
  overwrite: 'if-changed' | 'always';
  /** NaN when the property is not a number: reported when a search runs. */
  catalogLimit: number;
  catalogSplit: boolean;
  /** Undefined means msg.year. */
  year?: number;
  bbox: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Applies the defaults the node's help documents. */
export function readRequestConfig(props: EoRequestProperties): EoRequestConfig {
  const headers: Record<string, string> = {};
  for (const h of Array.isArray(props.headers) ? props.headers : []) {
    const name = text(h?.name);
    if (name) headers[name.toLowerCase()] = typeof h.value === 'string' ? h.value : '';
  }
  const operation = OPERATIONS.find((op) => op === props.operation) ?? 'request';
  const output = OUTPUTS.find((o) => o === props.output) ?? 'auto';
  const limitText = props.catalogLimit === undefined || props.catalogLimit === '' ? '100' : String(props.catalogLimit);
  const year = props.year === undefined || props.year === '' ? undefined : Number(props.year);
  return {
    operation,
    method: (text(props.method) || 'GET').toUpperCase() === 'USE' ? 'use' : (text(props.method) || 'GET').toUpperCase(),
    url: text(props.url),
    headers,
    accept: text(props.accept) || 'image/tiff',
    output,
    directory: text(props.directory),
    filename: text(props.filename),
    overwrite: props.overwrite === 'always' ? 'always' : 'if-changed',
    catalogLimit: /^\s*\d+\s*$/.test(limitText) ? Number(limitText) : NaN,
    catalogSplit: props.catalogSplit === true || props.catalogSplit === 'true',
    year,
    bbox: text(props.bbox),
  };
}
