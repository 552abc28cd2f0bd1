import { ConfigError, parseInstanceFile } from '../../src/instance'

describe('parseInstanceFile', () => {
  it.each([
    [{ concurency: 4 }, /\(top level\): Unrecognized key: "concurency" \(did you mean "concurrency"\?\)/],
    [{ retry: { maxAttempt: 3 } }, /retry: Unrecognized key: "maxAttempt" \(did you mean "maxAttempts"\?\)/],
    [{ batching: { sise: 10 } }, /batching: Unrecognized key: "sise" \(did you mean "size"\?\)/]
  ])('suggests the key meant for a misspelled one: %j', (extra, message) => {
    const file = { subscription: { mapping: {} }, ...extra }
    expect(() => parseInstanceFile(file, 'instance.json')).toThrow(ConfigError)
    expect(() => parseInstanceFile(file, 'instance.json')).toThrow(message)
  })

  it('suggests within a subscription of the list', () => {
    expect(() => parseInstanceFile({ subscriptions: [{ mapping: {}, subscibe: 'type = "track"' }] }, 'i.json')).toThrow(
      /subscriptions\[0\]: Unrecognized key: "subscibe" \(did you mean "subscribe"\?\)/
    )
  })
})
