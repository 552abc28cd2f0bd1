/**
 * patches/@segment+actions-core+3.170.0.patch makes actions-core do less work per event (each path string
 * parsed once, copies built without `delete`, no second copy of the objects the mapping kit builds itself, common
 * types told without new strings). It must not change what actions-core does: these properties compare the
 * patched package with a pristine copy of the same version (the `actions-core-pristine` alias, which
 * patch-package leaves alone) over generated mappings and events.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import fc from 'fast-check'
import { get, isDirective, realTypeOf, removeUndefined, validateSchema } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { transform, transformBatch } from '@segment/actions-core/mapping-kit'
import * as pristine from 'actions-core-pristine'
import * as pristineKit from 'actions-core-pristine/mapping-kit'

type RemoveEmptyValues = (value: unknown, schema?: object, isRoot?: boolean) => unknown
const load = createRequire(__filename)
/** Not in the package's exports: loaded from its file. */
const removeEmptyValuesOf = (entry: string): RemoveEmptyValues =>
  (
    load(path.join(path.dirname(load.resolve(entry)), 'remove-empty-values.js')) as {
      removeEmptyValues: RemoveEmptyValues
    }
  ).removeEmptyValues
const removeEmptyValues = removeEmptyValuesOf('@segment/actions-core')
const pristineRemoveEmptyValues = removeEmptyValuesOf('actions-core-pristine')

/**
 * What a value is, down to what deep equality overlooks: own keys in order, a key set to undefined, the
 * prototype (a JSON key `__proto__` is an own property of an event but sets the prototype of a copy made
 * with Object.assign).
 */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return { array: value.map(shape) }
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN'
  if (value === undefined) return { undefined: true }
  if (typeof value !== 'object' || value === null) return value
  const prototype = Object.getPrototypeOf(value) as unknown
  return {
    prototype: prototype === Object.prototype ? 'Object' : shape(prototype),
    keys: Object.keys(value).map((key) => [key, shape((value as Record<string, unknown>)[key])])
  }
}

/** The value or the error message: both must match. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: shape(run()) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

/** JSON text, parsed anew for each side (`@replace` writes its defaults into the mapping). */
const KEYS = ['a', 'b', 'email', 'items', '0', '1', '__proto__', 'x y', 'na"me']
const key = fc.constantFrom(...KEYS)
const objectText = (entries: [string, string][]) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`

const jsonText = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('""', '" "', '"Ada@Example.COM"', '"a-b.c"', 'null', 'true', 'false', '0', '-1.5', '"{\\"a\\":1}"'),
    fc.string({ maxLength: 8 }).map((text) => JSON.stringify(text)),
    fc.integer().map(String),
    tie('object'),
    tie('array')
  ),
  object: fc.array(fc.tuple(key, tie('value') as fc.Arbitrary<string>), { maxLength: 5 }).map(objectText),
  array: fc.array(tie('value') as fc.Arbitrary<string>, { maxLength: 3 }).map((values) => `[${values.join(',')}]`)
})).value as fc.Arbitrary<string>
const eventText = fc.array(fc.tuple(key, jsonText), { maxLength: 6 }).map(objectText)

const PATHS = [
  '$.a',
  '$.a.b',
  'a.b',
  '$.items[0].a',
  '$.items.1',
  "$.a['b']",
  '$.a["x y"]',
  '$.x y',
  '$.__proto__.a',
  '$.a.email',
  '$.',
  '.',
  '',
  '$.missing.deeper'
]
const pathText = fc.constantFrom(...PATHS).map((p) => JSON.stringify(p))
const template = fc
  .array(
    fc.oneof(
      fc.constantFrom('-', ' ', 'x'),
      pathText.map((p) => `{{${(JSON.parse(p) as string).replace('$.', '')}}}`)
    ),
    {
      maxLength: 4
    }
  )
  .map((parts) => JSON.stringify(parts.join('')))

const { mapping: mappingText } = fc.letrec((tie) => {
  const mapped = tie('mapped') as fc.Arbitrary<string>
  const directive = tie('directive') as fc.Arbitrary<string>
  return {
    directive: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      pathText.map((p) => `{"@path":${p}}`),
      template.map((t) => `{"@template":${t}}`),
      jsonText.map((v) => `{"@literal":${v}}`),
      fc
        .tuple(fc.constantFrom('exists', 'blank'), directive, fc.option(mapped), fc.option(mapped))
        .map(
          ([test, condition, then, otherwise]) =>
            `{"@if":{"${test}":${condition}${then === null ? '' : `,"then":${then}`}${otherwise === null ? '' : `,"else":${otherwise}`}}}`
        ),
      fc
        .tuple(fc.constantFrom('lower', 'upper', 'title'), directive)
        .map(([operator, value]) => `{"@case":{"operator":"${operator}","value":${value}}}`),
      fc
        .tuple(
          fc.constantFrom('a', '.', '-', '@', 'A'),
          fc.constantFrom('', 'x', '_'),
          fc.boolean(),
          fc.boolean(),
          directive
        )
        .map(
          ([pattern, replacement, ignorecase, global, value]) =>
            `{"@replace":{"pattern":"${pattern}","replacement":"${replacement}","ignorecase":${ignorecase},"global":${global},"value":${value}}}`
        ),
      fc
        .tuple(fc.constantFrom('$.items', '$.a', 'items'), tie('object') as fc.Arbitrary<string>)
        .map(([root, item]) => `{"@arrayPath":["${root}",${item}]}`),
      fc
        .tuple(fc.constantFrom('encode', 'decode'), directive)
        .map(([mode, value]) => `{"@json":{"mode":"${mode}","value":${value}}}`)
    ),
    mapped: fc.oneof({ depthSize: 'small', withCrossShrink: true }, directive, jsonText, tie('object'), tie('array')),
    object: fc.array(fc.tuple(key, mapped), { maxLength: 4 }).map(objectText),
    array: fc.array(mapped, { maxLength: 3 }).map((values) => `[${values.join(',')}]`),
    mapping: fc
      .array(fc.tuple(fc.constantFrom(...KEYS, 'c', 'd'), mapped), { minLength: 1, maxLength: 6 })
      .map(objectText)
  }
})

const parse = (text: string) => JSON.parse(text) as JSONObject

describe('the patched actions-core', () => {
  it('is the patched one (npm ci applies the patch), and the pristine copy is not', () => {
    const source = (entry: string) => readFileSync(path.join(path.dirname(require.resolve(entry)), 'get.js'), 'utf8')
    expect(source('@segment/actions-core')).toContain('parsedPaths')
    expect(source('actions-core-pristine')).not.toContain('parsedPaths')
  })

  it('transform: the same payload (or the same error) as the pristine actions-core for any mapping and event', () => {
    fc.assert(
      fc.property(mappingText, eventText, (mapping, event) => {
        expect(outcome(() => transform(parse(mapping), parse(event)))).toEqual(
          outcome(() => pristine.transform(parse(mapping), parse(event)))
        )
      }),
      { numRuns: 3000 }
    )
  })

  it('transformBatch: the same payloads as the pristine actions-core, with paths seen before and new ones', () => {
    fc.assert(
      fc.property(mappingText, fc.array(eventText, { maxLength: 5 }), (mapping, events) => {
        const batch = (run: typeof transformBatch) =>
          outcome(() =>
            run(
              parse(mapping),
              events.map((event) => parse(event))
            )
          )
        expect(batch(transformBatch)).toEqual(batch(pristineKit.transformBatch))
      }),
      { numRuns: 1000 }
    )
  })

  it("transformBatch: payloads share no object with the events (what the action changes is the payload's own)", () => {
    const objectsIn = (value: unknown, found = new Set<object>()): Set<object> => {
      if (typeof value === 'object' && value !== null && !found.has(value)) {
        found.add(value)
        for (const item of Object.values(value)) objectsIn(item, found)
      }
      return found
    }
    fc.assert(
      fc.property(mappingText, fc.array(eventText, { minLength: 1, maxLength: 3 }), (mapping, texts) => {
        const events = texts.map(parse)
        let payloads: unknown
        try {
          payloads = transformBatch(parse(mapping), events)
        } catch {
          return
        }
        const shared = [...objectsIn(payloads)].filter((object) => objectsIn(events).has(object))
        expect(shared).toEqual([])
      }),
      { numRuns: 1000 }
    )
  })

  it('get, removeUndefined and removeEmptyValues: the same results as the pristine ones', () => {
    const schemaText = fc.letrec((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('{}', '{"type":"string"}', '{"type":"number"}', '{"type":["string","null"]}', '{"enum":["a"]}'),
        fc
          .array(fc.tuple(key, tie('schema') as fc.Arbitrary<string>), { maxLength: 4 })
          .map((entries) => `{"type":"object","properties":${objectText(entries)}}`),
        (tie('schema') as fc.Arbitrary<string>).map((items) => `{"type":"array","items":${items}}`)
      )
    })).schema
    fc.assert(
      fc.property(
        eventText,
        fc.constantFrom(...PATHS, 'items[1]', "a['b'].c"),
        schemaText,
        fc.boolean(),
        (event, at, schema, root) => {
          expect(outcome(() => get(parse(event), at))).toEqual(outcome(() => pristine.get(parse(event), at)))
          // Values set to undefined are what removeUndefined is for.
          const withUndefined = (text: string) => {
            const value: Record<string, unknown> = parse(text)
            for (const name of Object.keys(value)) if (value[name] === null) value[name] = undefined
            return value
          }
          expect(outcome(() => removeUndefined(withUndefined(event)))).toEqual(
            outcome(() => pristine.removeUndefined(withUndefined(event)))
          )
          expect(outcome(() => removeEmptyValues(parse(event), parse(schema), root))).toEqual(
            outcome(() => pristineRemoveEmptyValues(parse(event), parse(schema), root))
          )
        }
      ),
      { numRuns: 3000 }
    )
  })

  it('realTypeOf and isDirective: the same answers as the pristine ones, for JSON and for anything else', () => {
    class Tagged {
      get [Symbol.toStringTag]() {
        return 'Tagged'
      }
    }
    const others = [new Date(0), /a/, new Map(), new Set(), Symbol('s'), 1n, () => 1, new Tagged(), Object.create(null)]
    const values = fc.oneof(
      jsonText.map(parse),
      mappingText.map(parse),
      fc.constantFrom(...others),
      fc.constantFrom(undefined, NaN, new String('a'), new Number(1), new Boolean(false))
    )
    fc.assert(
      fc.property(values, (value) => {
        expect(realTypeOf(value)).toBe(pristine.realTypeOf(value))
        expect(isDirective(value)).toBe(pristine.isDirective(value))
      }),
      { numRuns: 2000 }
    )
  })

  it('validateSchema: the same verdict, errors and payload afterwards as the pristine one, exempted keys kept', () => {
    const EXEMPT_KEYS = ['a', 'items', '__proto__', 'dynamicAuthSettings']
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' }, items: { type: 'array' } },
      required: ['a']
    } as Parameters<typeof validateSchema>[1]
    fc.assert(
      fc.property(eventText, fc.subarray(EXEMPT_KEYS), (event, exempt) => {
        const run = (validate: typeof validateSchema) => {
          const payload: JSONObject = parse(event)
          return outcome(() => [validate(payload, schema, { exempt, throwIfInvalid: false }), payload])
        }
        expect(run(validateSchema)).toEqual(run(pristine.validateSchema))
      }),
      { numRuns: 1000 }
    )
  })

  it('keeps symbols and a __proto__ key as the pristine copies do', () => {
    const tag = Symbol('tag')
    const hidden = Symbol('hidden')
    const value = { ...parse('{"__proto__":{"inherited":1},"a":"","b":null}'), [tag]: 1 }
    Object.defineProperty(value, hidden, { value: 2, enumerable: false })
    const schema = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } }
    const symbols = (result: unknown) => Object.getOwnPropertySymbols(result)
    expect(symbols(removeUndefined(value))).toEqual(symbols(pristine.removeUndefined(value)))
    expect(symbols(removeEmptyValues(value, schema, true))).toEqual(
      symbols(pristineRemoveEmptyValues(value, schema, true))
    )
    expect(shape(removeUndefined(value))).toEqual(shape(pristine.removeUndefined(value)))
    expect(shape(removeEmptyValues(value, schema, true))).toEqual(shape(pristineRemoveEmptyValues(value, schema, true)))
  })
})
