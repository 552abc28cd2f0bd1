import { backoffDelay } from '../../../src/instance/dispatch/retry'

describe('backoffDelay', () => {
  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50)
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400)
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000)
  })
})
