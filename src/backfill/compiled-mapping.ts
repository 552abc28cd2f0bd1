import { isArray, isObject, transform } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'

/**
 * A mapping compiled to closures, for the backfill's hot path: mapping-kit resolves a mapping by
 * walking it for every event and parses every `@path` string each time. The closures give the same
 * output as `transform(mapping, event)`; they take @path, @template, @if and @literal, and a mapping
 * with any other directive is not compiled at all (it goes through mapping-kit as it is).
 * test/backfill/compiled-mapping.test.ts checks them against mapping-kit over generated mappings
 * and events.
 */
export type CompiledMapping = (event: JSONObject) => unknown

type Resolver = (data: unknown) => unknown

// The separators of mapping-kit's paths: dots, and brackets around quoted keys or indices.
const PATH_SEPARATORS = /\[(?="|'|\d)|\.|(?<="|'|\d)]+/g

function pathSegments(path: string): string[] {
  return path
    .split(PATH_SEPARATORS)
    .filter((segment) => segment)
    .map((segment) => segment.replace(/'|"/g, ''))
}

/** mapping-kit's `get`: a falsy step stops the walk and is the result; inherited keys are read too. */
function compilePath(path: string): Resolver {
  if (path === '' || path === '.') return (data) => data
  const segments = pathSegments(path)
  return (data) => {
    let value = data
    for (const segment of segments) {
      if (!value) return value
      value = (value as Record<string, unknown>)[segment]
    }
    return value
  }
}

const getPath = (data: unknown, path: string): unknown => compilePath(path)(data)

/** mapping-kit's template rendering: {{{path}}} first, then {{path}}, a missing value rendered empty. */
function render(template: string, data: unknown): string {
  const replacer = (chars: number) => (match: string) => {
    const value = getPath(data, match.slice(chars, -chars).trim())
    return (value ?? '') as string
  }
  return template.replace(/\{\{\{([^}]+)\}\}\}/g, replacer(3)).replace(/\{\{([^}]+)\}\}/g, replacer(2))
}

/** Directive objects as mapping-kit's resolver sees them: an @-key, and no other key but _metadata. */
function isDirectiveNode(node: Record<string, unknown>): boolean {
  const keys = Object.keys(node)
  return keys.some((key) => key.startsWith('@')) && keys.every((key) => key.startsWith('@') || key === '_metadata')
}

/** Thrown inside the compiler for a directive it does not take; the whole mapping then goes through mapping-kit. */
class NotCompiled extends Error {}

function compileDirective(node: Record<string, unknown>): Resolver {
  const name = Object.keys(node).find((key) => key.startsWith('@'))
  const value = name === undefined ? undefined : node[name]
  if (name === '@path' && typeof value === 'string') {
    return compilePath(value.replace('$.', ''))
  }
  if (name === '@template' && typeof value === 'string') return (data) => render(value, data)
  if (name === '@literal') return compileNode(value)
  if (name === '@if' && isObject(value) && (value.exists || value.blank)) {
    const { exists, blank, then, else: otherwise } = value
    const test = exists !== undefined ? compileNode(exists) : compileNode(blank)
    const holds =
      exists !== undefined
        ? (result: unknown) => result !== undefined && result !== null
        : // mapping-kit compares with != on purpose: 0 and false count as blank
          (result: unknown) => result !== undefined && result !== null && result != ''
    const whenTrue = then !== undefined ? compileNode(then) : undefined
    const whenFalse = otherwise ? compileNode(otherwise) : undefined
    return (data) => {
      const condition = holds(test(data))
      if (condition && whenTrue) return whenTrue(data)
      if (!condition && whenFalse) return whenFalse(data)
      return undefined
    }
  }
  throw new NotCompiled(name)
}

function compileNode(node: unknown): Resolver {
  if (!isObject(node) && !isArray(node)) return () => node
  if (isArray(node)) {
    const items = node.map(compileNode)
    return (data) => items.map((item) => item(data))
  }
  if (isDirectiveNode(node)) return compileDirective(node)
  const fields = Object.keys(node).map((key) => [key, compileNode(node[key])] as const)
  return (data) => {
    const result: Record<string, unknown> = {}
    for (const [key, resolve] of fields) result[key] = resolve(data)
    return result
  }
}

/**
 * Compiles a subscription's mapping into what mapping-kit's resolver gives for an event:
 * `removeUndefined(compiled(event))` equals `transform(mapping, event)`. Returns undefined for the mappings it does not take (other
 * directives, a root directive, a key named __proto__), which then go through mapping-kit as they are.
 */
export function compileMapping(mapping: JSONObject): CompiledMapping | undefined {
  transform(mapping, {}) // mapping-kit's validation: a mapping it refuses is refused here too
  if ('__segment_internal_directive' in mapping || hasProtoKey(mapping)) return undefined
  let resolve: Resolver
  try {
    resolve = compileNode(mapping)
  } catch (error) {
    if (error instanceof NotCompiled) return undefined
    throw error
  }
  return resolve
}

/** mapping-kit assigns fields with `result[key] =`, which for __proto__ sets a prototype: leave those to it. */
function hasProtoKey(node: unknown): boolean {
  if (isArray(node)) return node.some(hasProtoKey)
  if (!isObject(node)) return false
  return Object.keys(node).some((key) => key === '__proto__' || hasProtoKey(node[key]))
}
