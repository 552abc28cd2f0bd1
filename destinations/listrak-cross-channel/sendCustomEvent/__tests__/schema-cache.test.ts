import { ExpiringCache } from '../schema-cache'

describe('ExpiringCache', () => {
  it('shares one load between callers until it expires', async () => {
    let now = 0
    let loads = 0
    const cache = new ExpiringCache<number>(1000, 10, () => now)
    const load = () => Promise.resolve(++loads)
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1])
    now = 999
    expect(await cache.get('k', load)).toBe(1)
    now = 1000
    expect(await cache.get('k', load)).toBe(2)
  })

  it('forgets a failed load so the next call tries again', async () => {
    const cache = new ExpiringCache<number>(1000)
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(await cache.get('k', () => Promise.resolve(5))).toBe(5)
  })

  it('keeps at most maxEntries, evicting the oldest', async () => {
    const cache = new ExpiringCache<string>(1000, 2)
    const loads: string[] = []
    const load = (key: string) => () => {
      loads.push(key)
      return Promise.resolve(key)
    }
    for (const key of ['a', 'b', 'c', 'b', 'a']) await cache.get(key, load(key))
    // 'c' evicted 'a' (the oldest); 'b' was still there; 'a' came back by evicting 'b'.
    expect(loads).toEqual(['a', 'b', 'c', 'a'])
    await cache.get('c', load('c'))
    expect(loads).toEqual(['a', 'b', 'c', 'a'])
  })
})
