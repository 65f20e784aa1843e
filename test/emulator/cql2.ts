/**
 * The part of CQL2 (OGC Common Query Language) that catalogue searches use: comparisons of a
 * property with a literal, combined with AND, OR, NOT and parentheses, as text (`cql2-text`) or
 * as JSON (`cql2-json`). Enough for `eo:cloud_cover < 20 AND platform = 'sentinel-2b'`; anything
 * else is a syntax error, which the catalogue answers with 400 as the real one does.
 */

/** A parsed filter: true when an item's properties match. */
export type Predicate = (properties: Record<string, unknown>) => boolean;

export class FilterError extends Error {}

const COMPARISONS: Record<string, (a: unknown, b: unknown) => boolean> = {
  '=': (a, b) => a === b,
  '<>': (a, b) => a !== undefined && a !== b,
  '<': (a, b) => typeof a === typeof b && (a as number) < (b as number),
  '<=': (a, b) => typeof a === typeof b && (a as number) <= (b as number),
  '>': (a, b) => typeof a === typeof b && (a as number) > (b as number),
  '>=': (a, b) => typeof a === typeof b && (a as number) >= (b as number),
};

type Operand = { property: string } | { value: unknown };

function compare(op: string, left: Operand, right: Operand): Predicate {
  const fn = COMPARISONS[op];
  if (!fn) throw new FilterError(`unknown comparison "${op}"`);
  const read = (o: Operand, p: Record<string, unknown>) => ('property' in o ? p[o.property] : o.value);
  return (p) => fn(read(left, p), read(right, p));
}

// ------------------------------------------------------------------- cql2-text

const TOKEN = /\s*(?:(\()|(\))|(<>|<=|>=|=|<|>)|('(?:[^']|'')*')|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|("[^"]+"|[A-Za-z_][\w:.-]*))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new FilterError(`unexpected "${text.slice(at).trim().slice(0, 20)}" at position ${at}`);
    tokens.push(m.slice(1).find((g) => g !== undefined)!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function operandOf(token: string | undefined): Operand {
  if (token === undefined) throw new FilterError('the filter ends too early');
  if (token.startsWith("'")) return { value: token.slice(1, -1).replace(/''/g, "'") };
  if (/^-?\d/.test(token)) return { value: Number(token) };
  if (/^(true|false)$/i.test(token)) return { value: token.toLowerCase() === 'true' };
  if (/^(and|or|not)$/i.test(token) || /^[()<>=]/.test(token)) throw new FilterError(`expected a property or a value, got "${token}"`);
  return { property: token.replace(/^"|"$/g, '') };
}

/** Parses CQL2 text. */
export function parseCql2Text(text: string): Predicate {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const keyword = (word: string) => peek()?.toUpperCase() === word;
  const orExpr = (): Predicate => {
    const parts = [andExpr()];
    while (keyword('OR')) {
      i++;
      parts.push(andExpr());
    }
    return parts.length === 1 ? parts[0] : (p) => parts.some((f) => f(p));
  };
  const andExpr = (): Predicate => {
    const parts = [notExpr()];
    while (keyword('AND')) {
      i++;
      parts.push(notExpr());
    }
    return parts.length === 1 ? parts[0] : (p) => parts.every((f) => f(p));
  };
  const notExpr = (): Predicate => {
    if (keyword('NOT')) {
      i++;
      const inner = notExpr();
      return (p) => !inner(p);
    }
    if (peek() === '(') {
      i++;
      const inner = orExpr();
      if (tokens[i++] !== ')') throw new FilterError('a parenthesis is not closed');
      return inner;
    }
    const left = operandOf(tokens[i++]);
    const op = tokens[i++];
    if (op === undefined || !(op in COMPARISONS))
      throw new FilterError(`expected a comparison (=, <>, <, <=, >, >=) after the operand, got "${op ?? 'the end'}"`);
    return compare(op, left, operandOf(tokens[i++]));
  };
  if (tokens.length === 0) throw new FilterError('the filter is empty');
  const predicate = orExpr();
  if (i < tokens.length) throw new FilterError(`unexpected "${tokens[i]}" after a complete expression`);
  return predicate;
}

// ------------------------------------------------------------------- cql2-json

function jsonOperand(arg: unknown): Operand {
  if (typeof arg === 'object' && arg !== null && typeof (arg as { property?: unknown }).property === 'string') {
    return { property: (arg as { property: string }).property };
  }
  if (typeof arg === 'object' && arg !== null) throw new FilterError('an argument is neither a {"property": ...} nor a value');
  return { value: arg };
}

/** Parses CQL2 JSON. */
export function parseCql2Json(node: unknown): Predicate {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new FilterError('a CQL2 JSON expression must be an object');
  const { op, args } = node as { op?: unknown; args?: unknown };
  if (typeof op !== 'string' || !Array.isArray(args)) throw new FilterError('a CQL2 JSON expression needs "op" and "args"');
  const lower = op.toLowerCase();
  if (lower === 'and' || lower === 'or') {
    const parts = args.map(parseCql2Json);
    return lower === 'and' ? (p) => parts.every((f) => f(p)) : (p) => parts.some((f) => f(p));
  }
  if (lower === 'not') {
    if (args.length !== 1) throw new FilterError('"not" takes one argument');
    const inner = parseCql2Json(args[0]);
    return (p) => !inner(p);
  }
  if (args.length !== 2) throw new FilterError(`"${op}" takes two arguments`);
  return compare(op, jsonOperand(args[0]), jsonOperand(args[1]));
}

/** The filter of a search body, in the language it names (default cql2-text, as Sentinel Hub's Catalog). */
export function parseFilter(filter: unknown, lang: unknown): Predicate | undefined {
  if (filter === undefined || filter === null) return undefined;
  const language = lang === undefined ? (typeof filter === 'string' ? 'cql2-text' : 'cql2-json') : lang;
  if (language === 'cql2-text') {
    if (typeof filter !== 'string') throw new FilterError('filter-lang is cql2-text but the filter is not a string');
    return parseCql2Text(filter);
  }
  if (language === 'cql2-json') return parseCql2Json(filter);
  throw new FilterError(`unsupported filter-lang "${String(lang)}": use cql2-text or cql2-json`);
}
