import { Batcher } from '../../../src/instance/dispatch/batcher'

describe('Batcher', () => {
  const item = (key: string, bytes = 10) => ({ key, bytes })

  it('fills batches by count and by bytes, one per key', () => {
    const batcher = new Batcher<{ key: string; bytes: number }>({ size: 2, bytes: 25 }, (i) => i.key)
    expect(batcher.add(item('a'))).toBeUndefined()
    expect(batcher.add(item('b'))).toBeUndefined()
    expect(batcher.add(item('a'))).toHaveLength(2)
    expect(batcher.add(item('b', 20))).toHaveLength(1) // 10 + 20 bytes would pass 25
    expect(batcher.drain()).toEqual([[item('b', 20)]])
  })

  it('drains only batches older than asked', () => {
    let now = 0
    const batcher = new Batcher(
      { size: 10, bytes: 1000 },
      () => '',
      () => now
    )
    batcher.add(item('a'))
    now = 500
    expect(batcher.drain(1000)).toEqual([])
    now = 1000
    expect(batcher.drain(1000)).toHaveLength(1)
  })
})
