// Expressions through GitHub's own @actions/expressions: the lexer, parser and evaluator the Actions
// language services use. The status functions (success, failure, always, cancelled) are not built in
// there; they are supplied here from the job's state. hashFiles is not supported: a workflow that calls it
// stops with the parser's "Unrecognized function" error.
// https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { TokenType as ExpressionToken } from '@actions/expressions/lexer';
import { truthy } from '@actions/expressions/result';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { TokenType } from '@actions/workflow-parser/templates/tokens/types';
import { parse as parseYaml } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Contexts = Record<string, Json>;

/** What the status functions answer; absent where GitHub does not allow them. */
export interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export class ExpressionFailure extends Error {}

function statusFunctions(status: Status): FunctionDefinition[] {
  const fn = (name: string, value: boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value),
  });
  return [
    fn('success', status.success),
    fn('failure', status.failure),
    fn('always', true),
    fn('cancelled', status.cancelled),
  ];
}

/** Evaluates one expression (without `${{ }}`) to plain JSON. */
export function evaluate(expression: string, contexts: Contexts, status?: Status): Json {
  const functions = status ? statusFunctions(status) : [];
  try {
    const { tokens } = new Lexer(expression).lex();
    // The lexer unescapes only the first '' of a string literal (String.replace with a string); every one
    // is an escaped quote. https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#literals
    for (const token of tokens)
      if (token.type === ExpressionToken.STRING && token.lexeme.length >= 2)
        token.value = token.lexeme.slice(1, -1).replace(/''/g, "'");
    const ast = new Parser(tokens, Object.keys(contexts), functions).parse();
    const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
    const result = new Evaluator(ast, dictionary, new Map(functions.map((f) => [f.name, f]))).evaluate();
    return JSON.parse(JSON.stringify(result, data.replacer) ?? 'null') as Json;
  } catch (error) {
    throw new ExpressionFailure(`expression \`${expression}\`: ${(error as Error).message}`);
  }
}

/** An `if:` condition, with the status functions. */
export function condition(expression: string, contexts: Contexts, status: Status): boolean {
  const value = evaluate(expression, contexts, status);
  return truthy(JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData);
}

/**
 * A string with `${{ }}` expressions in it, each replaced by its value as a string. An expression ends at
 * the first `}}` outside a string literal, as GitHub's template reader finds it.
 */
export function expandString(text: string, contexts: Contexts): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) return out + text.slice(i);
    let end = -1;
    let inString = false;
    for (let j = start + 3; j < text.length - 1; j++) {
      if (text[j] === "'") inString = !inString;
      else if (!inString && text[j] === '}' && text[j + 1] === '}') {
        end = j;
        break;
      }
    }
    if (end < 0) throw new ExpressionFailure(`expression \`${text.slice(start)}\`: no closing }}`);
    out += text.slice(i, start) + asString(evaluate(text.slice(start + 3, end).trim(), contexts));
    i = end + 2;
  }
}

/**
 * A block scalar (`|`, `>`, with chomping) holding expressions. @actions/workflow-parser builds its
 * format() from the YAML source, indentation included (the language services need source positions);
 * GitHub evaluates the expressions in the scalar's value, after YAML has removed the indentation and applied
 * the header's chomping and folding. So does this: YAML reads the block again under its header, then the
 * expressions are expanded. An explicit indentation indicator (`|2`) is dropped: the block is re-read at
 * column 0, and its first line gives the indentation.
 */
function blockScalar(token: BasicExpressionToken, contexts: Contexts): string | undefined {
  const header = token.blockScalarHeader;
  const source = token.source;
  if (!header || source === undefined) return undefined;
  const { value } = parseYaml(`value: ${header.replace(/\d/g, '')}\n${source}`) as { value: string };
  return expandString(value ?? '', contexts);
}

/** A token of the raw tree, every expression in it evaluated. */
export function evaluateToken(token: TemplateToken | undefined, contexts: Contexts): Json {
  if (token === undefined) return null;
  if (isBasicExpression(token)) return blockScalar(token, contexts) ?? evaluate(token.expression, contexts);
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isSequence(token)) {
    const items: Json[] = [];
    for (let i = 0; i < token.count; i++) items.push(evaluateToken(token.get(i), contexts));
    return items;
  }
  if (isMapping(token)) {
    const object: Record<string, Json> = {};
    for (const { key, value } of token)
      object[asString(evaluateToken(key, contexts))] = evaluateToken(value, contexts);
    return object;
  }
  if (token.templateTokenType === TokenType.Null) return null;
  throw new ExpressionFailure(`unsupported token ${token.typeName()} (an \${{ insert }} expression?)`);
}

/** How GitHub turns an expression's value into a string field: null is empty, objects are JSON. */
export function asString(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}

/** A string-valued mapping (env, with, outputs), each value evaluated and stringified. */
export function evaluateStringMap(
  token: TemplateToken | undefined,
  contexts: Contexts,
): Record<string, string> {
  const result: Record<string, string> = {};
  if (token === undefined || !isMapping(token)) return result;
  for (const { key, value } of token)
    result[asString(evaluateToken(key, contexts))] = asString(evaluateToken(value, contexts));
  return result;
}
