/**
 * A JSON object as users give one: typed as JSON text into a field, or mapped as an object (an n8n
 * expression, a Node-RED `msg` property). Only the finding is shared: each engine words it its own
 * way (n8n names the parameter as its dialog shows it, Node-RED's message catalogue names
 * `msg.payload` and what it should hold).
 */

/** What {@link readJsonObject} found: the object, or why there is none. */
export type JsonObjectReading =
  | { ok: true; value: Record<string, unknown> }
  | {
      ok: false;
      /** `not-json`: text that is not valid JSON; `not-an-object`: JSON or a value that is no object. */
      problem: 'not-json' | 'not-an-object';
      /** What was found, worded to end "(got …)": `number`, `an array`, `a Buffer`, `a JSON array`, … */
      got: string;
    };

function isObject(value: unknown): value is Record<string, unknown> {
  // A Buffer is an object too, but its bytes are no JSON object.
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** What a value is, for "(got …)". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a Buffer';
  return typeof value;
}

/** What JSON text holds, for "(got …)". */
function jsonKindOf(value: unknown): string {
  if (value === null) return 'JSON null';
  return Array.isArray(value) ? 'a JSON array' : `a JSON ${typeof value}`;
}

/**
 * Reads a JSON object from text (parsed) or a value (taken as it is). Arrays, `null`, Buffers and
 * scalars are no object; empty text is not valid JSON (an engine that treats an empty field as
 * "not set" checks that first).
 *
 * @example
 * readJsonObject('{"a":1}'); // { ok: true, value: { a: 1 } }
 * readJsonObject('[1,2]'); // { ok: false, problem: 'not-an-object', got: 'a JSON array' }
 * readJsonObject(42); // { ok: false, problem: 'not-an-object', got: 'number' }
 */
export function readJsonObject(value: unknown): JsonObjectReading {
  if (typeof value !== 'string') {
    return isObject(value) ? { ok: true, value } : { ok: false, problem: 'not-an-object', got: kindOf(value) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, problem: 'not-json', got: 'text that is not valid JSON' };
  }
  return isObject(parsed) ? { ok: true, value: parsed } : { ok: false, problem: 'not-an-object', got: jsonKindOf(parsed) };
}
