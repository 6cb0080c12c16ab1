/**
 * Text a request may carry. PostgreSQL `text` and `jsonb` cannot hold U+0000 and `jsonb` refuses an
 * unpaired surrogate (`"\ud800"` is valid JSON), so such a value would fail deep inside a query as a
 * 500; other C0 controls are never meaningful in this API's values. Every JSON body, query, path
 * and header parameter and CSV cell is checked here, at the edge, and the field is named.
 */

/** C0 controls other than tab, line feed and carriage return; an unpaired UTF-16 surrogate. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper than any body this API takes (a return's records are 5 levels down); deeper nesting overflows recursive code. */
export const MAX_JSON_DEPTH = 64;

/** What is wrong with a text, naming the code point and its position, never the text; undefined when it is fine. */
export function forbiddenCharacter(text: string): string | undefined {
  const match = FORBIDDEN.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const name =
    code === 0 ? 'U+0000 (NUL)' : code < 0x20 ? `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : 'an unpaired surrogate';
  return `contains ${name} at character ${match.index + 1}; text may hold tab, line breaks and any Unicode character but not that`;
}

export interface JsonScan {
  /** The body nests deeper than MAX_JSON_DEPTH. */
  tooDeep: boolean;
  /** An own `__proto__`, or a `constructor` with a `prototype`: refused like fastify's own parser. */
  poisoned: boolean;
  /** Strings (and property names) with a forbidden character and numbers too large to hold, at most `limit` of them. */
  problems: Array<{ pointer: string; code: 'forbidden_character' | 'out_of_range'; detail: string }>;
  problemCount: number;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Walks a parsed JSON value without recursion (so depth itself cannot overflow the stack): checks
 * depth, prototype poisoning and every string. Stops at the first level too deep.
 */
export function scanJson(value: unknown, limit: number): JsonScan {
  const scan: JsonScan = { tooDeep: false, poisoned: false, problems: [], problemCount: 0 };
  const report = (pointer: string, detail: string, code: 'forbidden_character' | 'out_of_range' = 'forbidden_character') => {
    scan.problemCount++;
    if (scan.problems.length < limit) scan.problems.push({ pointer: pointer || '/', code, detail });
  };
  const stack: Array<{ value: unknown; pointer: string; depth: number }> = [{ value, pointer: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: node, pointer, depth } = stack.pop()!;
    if (typeof node === 'string') {
      const problem = forbiddenCharacter(node);
      if (problem) report(pointer, problem);
      continue;
    }
    // JSON has no infinities, but `1e309` parses to one: it would pass a schema's `type: integer` and fail in SQL.
    if (typeof node === 'number' && !Number.isFinite(node)) {
      report(pointer, 'is a number too large to hold', 'out_of_range');
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      scan.tooDeep = true;
      return scan;
    }
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], pointer: `${pointer}/${i}`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child = (node as Record<string, unknown>)[key];
      if (key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'))) {
        scan.poisoned = true;
        return scan;
      }
      const problem = forbiddenCharacter(key);
      // The property name itself cannot go into a pointer: the problem is located at its object.
      if (problem) report(pointer, `has a property name that ${problem}`);
      else stack.push({ value: child, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1 });
    }
  }
  return scan;
}
