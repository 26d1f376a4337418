/**
 * The part of OData's $filter that Dataverse clients use: eq ne gt ge lt le, and, or,
 * not, parentheses, contains/startswith/endswith, literals (strings with '' escapes,
 * numbers, GUIDs, dates, true/false/null). Like Dataverse, a comparison needs a column
 * on its left and a literal on its right, and strings compare case-insensitively.
 * Error messages give positions, never the literal text (it may be personal data).
 */
import { DV, SimError } from "./http.js";

export type Literal = string | number | boolean | null;
type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
type TextFunction = "contains" | "startswith" | "endswith";

export type FilterNode =
  | { readonly kind: "and" | "or"; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: "not"; readonly operand: FilterNode }
  | { readonly kind: "cmp"; readonly op: CompareOp; readonly field: string; readonly value: Literal }
  | { readonly kind: "fn"; readonly name: TextFunction; readonly field: string; readonly value: string };

type Token =
  | { readonly type: "punct"; readonly text: "(" | ")" | ","; readonly at: number }
  | { readonly type: "word"; readonly text: string; readonly at: number }
  | { readonly type: "literal"; readonly value: Literal; readonly at: number };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;
const COMPARE_OPS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const TEXT_FUNCTIONS = new Set(["contains", "startswith", "endswith"]);

function invalid(at: number, problem: string): SimError {
  return new SimError(400, DV.queryInvalid, `Syntax error in $filter at position ${at}: ${problem}.`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ type: "punct", text: ch, at: i });
      i++;
      continue;
    }
    if (ch === "'") {
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw invalid(start, "unterminated string literal");
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ type: "literal", value, at: start });
      continue;
    }
    const rest = text.slice(i);
    const guid = GUID.exec(rest);
    if (guid && !/[0-9a-z_]/i.test(rest[guid[0].length] ?? "")) {
      tokens.push({ type: "literal", value: guid[0].toLowerCase(), at: i });
      i += guid[0].length;
      continue;
    }
    const date = DATETIME.exec(rest);
    if (date) {
      const parsed = Date.parse(date[0]);
      if (Number.isNaN(parsed)) throw invalid(i, "invalid date literal");
      tokens.push({ type: "literal", value: date[1] ? new Date(parsed).toISOString() : date[0], at: i });
      i += date[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ type: "literal", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      const lower = word[0].toLowerCase();
      if (lower === "null") tokens.push({ type: "literal", value: null, at: i });
      else if (lower === "true" || lower === "false") tokens.push({ type: "literal", value: lower === "true", at: i });
      else tokens.push({ type: "word", text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    throw invalid(i, "unexpected character");
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): FilterNode {
    const node = this.or();
    const extra = this.tokens[this.position];
    if (extra) throw invalid(extra.at, "unexpected token");
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isWord(text: string): boolean {
    const token = this.peek();
    return token?.type === "word" && token.text.toLowerCase() === text;
  }

  private expectPunct(text: "(" | ")" | ","): void {
    const token = this.peek();
    if (token?.type !== "punct" || token.text !== text) throw invalid(token?.at ?? this.length, `'${text}' expected`);
    this.position++;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isWord("or")) {
      this.position++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.isWord("and")) {
      this.position++;
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.isWord("not")) {
      this.position++;
      return { kind: "not", operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): FilterNode {
    const token = this.peek();
    if (!token) throw invalid(this.length, "expression expected");
    if (token.type === "punct" && token.text === "(") {
      this.position++;
      const inner = this.or();
      this.expectPunct(")");
      return inner;
    }
    if (token.type !== "word") throw invalid(token.at, "the left side of a comparison must be a column name");
    this.position++;
    const name = token.text.toLowerCase();
    if (TEXT_FUNCTIONS.has(name) && this.peek()?.type === "punct") {
      this.expectPunct("(");
      const field = this.peek();
      if (field?.type !== "word") throw invalid(field?.at ?? this.length, "column name expected");
      this.position++;
      this.expectPunct(",");
      const value = this.peek();
      if (value?.type !== "literal" || typeof value.value !== "string") throw invalid(value?.at ?? this.length, "string literal expected");
      this.position++;
      this.expectPunct(")");
      return { kind: "fn", name: name as TextFunction, field: field.text.toLowerCase(), value: value.value };
    }
    const op = this.peek();
    if (op?.type !== "word" || !COMPARE_OPS.has(op.text.toLowerCase())) throw invalid(op?.at ?? this.length, "comparison operator expected");
    this.position++;
    const value = this.peek();
    if (value?.type !== "literal") throw invalid(value?.at ?? this.length, "the right side of a comparison must be a literal");
    this.position++;
    return { kind: "cmp", op: op.text.toLowerCase() as CompareOp, field: name, value: value.value };
  }
}

export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text), text.length).parse();
}

function normalise(value: unknown): Literal {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number" || typeof value === "boolean") return value;
  return String(value).toLowerCase();
}

/** Orders two column values as Dataverse does: nulls first, strings case-insensitively. */
export function compareValues(a: unknown, b: unknown): number {
  const x = normalise(a);
  const y = normalise(b);
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  if (typeof x === "number" && typeof y === "number") return x - y;
  if (typeof x === "boolean" && typeof y === "boolean") return Number(x) - Number(y);
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function compare(op: CompareOp, actual: unknown, literal: Literal): boolean {
  const a = normalise(actual);
  const b = normalise(literal);
  if (op === "eq") return a === b;
  if (op === "ne") return a !== b;
  // Ordering against null, or across types, matches nothing (SQL semantics).
  if (a === null || b === null || typeof a !== typeof b) return false;
  const c = compareValues(a, b);
  return op === "gt" ? c > 0 : op === "ge" ? c >= 0 : op === "lt" ? c < 0 : c <= 0;
}

export function matches(node: FilterNode, row: Readonly<Record<string, unknown>>): boolean {
  switch (node.kind) {
    case "and":
      return matches(node.left, row) && matches(node.right, row);
    case "or":
      return matches(node.left, row) || matches(node.right, row);
    case "not":
      return !matches(node.operand, row);
    case "cmp":
      return compare(node.op, row[node.field], node.value);
    case "fn": {
      const actual = row[node.field];
      if (typeof actual !== "string") return false;
      const haystack = actual.toLowerCase();
      const needle = node.value.toLowerCase();
      if (node.name === "contains") return haystack.includes(needle);
      return node.name === "startswith" ? haystack.startsWith(needle) : haystack.endsWith(needle);
    }
  }
}

type Predicate = (row: Readonly<Record<string, unknown>>) => boolean;

function orLeaves(node: FilterNode, into: FilterNode[] = []): FilterNode[] {
  if (node.kind === "or") {
    orLeaves(node.left, into);
    orLeaves(node.right, into);
  } else into.push(node);
  return into;
}

/**
 * A predicate for a filter. Lookups send long `a eq 'x' or a eq 'y' ...` chains; those
 * `eq` terms become one set lookup per column so a big table stays quick to scan.
 */
export function compileFilter(node: FilterNode): Predicate {
  const leaves = orLeaves(node);
  if (leaves.length < 4) return (row) => matches(node, row);
  const sets = new Map<string, Set<Literal>>();
  const rest: FilterNode[] = [];
  for (const leaf of leaves) {
    if (leaf.kind === "cmp" && leaf.op === "eq" && leaf.value !== null) {
      const set = sets.get(leaf.field) ?? new Set<Literal>();
      set.add(normalise(leaf.value));
      sets.set(leaf.field, set);
    } else rest.push(leaf);
  }
  const lookups = [...sets];
  return (row) => lookups.some(([field, set]) => set.has(normalise(row[field]))) || rest.some((leaf) => matches(leaf, row));
}
