import { removeUndefined, transform } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { compileMapping } from '../../src/backfill/compiled-mapping'

const KEYS = ['a', 'b', 'email', 'order_id', '0', '1', 'x y', '__proto__', 'constructor', 'length']

/** Events as JSON.parse makes them: own keys only, __proto__ included, falsy values, arrays, nesting. */
const leaf = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant(0)
)
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc
      .array(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries))
  )
})).value
const event = fc
  .array(fc.tuple(fc.constantFrom(...KEYS, 'properties', 'context'), value), { maxLength: 6 })
  .map((entries) => Object.fromEntries(entries) as JSONObject)

const segment = fc.constantFrom(...KEYS.filter((key) => key !== 'x y'), 'properties', 'context')
const path = fc
  .array(
    fc.oneof(
      segment.map((key) => `.${key}`),
      fc.constantFrom('[0]', "['a']", '["b"]', '[1]')
    ),
    { minLength: 0, maxLength: 3 }
  )
  .map((parts) => `$${parts.join('')}`.replace(/^\$\[/, '$.['))

/** Mappings from the directives the compiler takes, plus ones it hands back to mapping-kit. */
const mappingNode: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    path.map((p) => ({ '@path': p })),
    fc
      .tuple(fc.string({ maxLength: 4 }), path, path)
      .map(([text, p1, p2]) => ({ '@template': `${text}{{${p1.slice(2)}}}-{{{ ${p2.slice(2)} }}}` })),
    fc
      .record({ exists: tie('node'), then: tie('node'), else: tie('node') }, { requiredKeys: ['exists'] })
      .map((opts) => ({ '@if': opts })),
    fc
      .record({ blank: tie('node'), then: tie('node'), else: tie('node') }, { requiredKeys: ['blank'] })
      .map((opts) => ({ '@if': opts })),
    tie('node').map((inner) => ({ '@literal': inner })),
    path.map((p) => ({ '@case': { operator: 'upper', value: { '@path': p } } })),
    path.map((p) => ({ '@replace': { pattern: 'a', replacement: 'b', value: { '@path': p } } })),
    fc.array(tie('node'), { maxLength: 3 }),
    fc
      .array(fc.tuple(fc.constantFrom('eventUID', 'emailAddress', 'dataFields', 'k'), tie('node')), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries))
  )
})).node
const mapping = fc
  .array(
    fc.tuple(fc.constantFrom('eventUID', 'emailAddress', 'phoneNumber', 'dataFields', 'batch_size'), mappingNode),
    { maxLength: 5 }
  )
  .map((entries) => Object.fromEntries(entries) as JSONObject)

function outcome(run: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: run() }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

describe('compileMapping', () => {
  it('gives exactly what mapping-kit gives, for generated mappings and events', () => {
    fc.assert(
      fc.property(mapping, fc.array(event, { minLength: 1, maxLength: 4 }), (m, events) => {
        const compiled = outcome(() => compileMapping(m))
        const reference = outcome(() => transform(m, {}))
        if ('error' in reference) {
          expect(compiled).toEqual(reference)
          return
        }
        const run = 'value' in compiled ? (compiled.value as ((e: JSONObject) => unknown) | undefined) : undefined
        for (const e of events) {
          const expected = outcome(() => transform(m, e))
          const actual = outcome(() => (run ? removeUndefined(run(e)) : transform(m, e)))
          // node's deep strict equality compares prototypes and own keys; jest's toStrictEqual would also
          // compare `.constructor`, which an event may hold as an own key.
          if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected)
        }
      }),
      { numRuns: 3000 }
    )
  })

  it('compiles the mappings people write, such as the bundled example', () => {
    const example = {
      eventUID: 'uid',
      emailAddress: {
        '@if': {
          exists: { '@path': '$.context.traits.email' },
          then: { '@path': '$.context.traits.email' },
          else: { '@path': '$.properties.email' }
        }
      },
      dataFields: { orderId: { '@path': '$.properties.order_id' }, label: { '@template': '{{properties.order_id}}!' } }
    }
    const compiled = compileMapping(example)
    expect(compiled).toBeDefined()
    const event = { properties: { order_id: 'A1', email: 'p@example.com' }, context: { traits: {} } }
    expect(removeUndefined(compiled?.(event))).toStrictEqual(transform(example, event))
    expect(removeUndefined(compiled?.(event))).toEqual({
      eventUID: 'uid',
      emailAddress: 'p@example.com',
      dataFields: { orderId: 'A1', label: 'A1!' }
    })
  })

  it('leaves other directives, a root directive or a __proto__ key to mapping-kit, and refuses what mapping-kit refuses', () => {
    expect(compileMapping({ a: { '@case': { operator: 'upper', value: 'x' } } })).toBeUndefined()
    expect(
      compileMapping({
        __segment_internal_directive: { '@merge': { objects: [{ '@path': '$.properties' }], direction: 'right' } }
      })
    ).toBeUndefined()
    expect(compileMapping(JSON.parse('{"dataFields": {"__proto__": {"@path": "$.a"}}}') as JSONObject)).toBeUndefined()
    expect(() => compileMapping({ x: { '@if': { then: 1 } } })).toThrow(/@if/)
  })
})
