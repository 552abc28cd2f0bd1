import { routeOf } from '../../../src/instance/routes'
import { prepareLines, taken } from '../../../src/backfill/reading/prepare'
import type { PreparedContent } from '../../../src/backfill/reading/prepare'
import type { LineText } from '../../../src/backfill/reading'

const mapping = { eventUID: 'e-1' }
const routes = [
  routeOf(0, 'Orders', { subscribe: 'event = "Order Completed"', partnerAction: 'send', mapping }, []),
  routeOf(1, 'Any track', { subscribe: 'type = "track"', partnerAction: 'send', mapping }, [])
]
const order = { type: 'track', event: 'Order Completed', messageId: 'm-1' }
const line = (value: unknown, arrayLines = false): LineText => ({
  kind: 'line',
  text: JSON.stringify(value),
  arrayLines
})

describe('prepareLines', () => {
  it('routes each event and gives its messageId; a worker leaves out the text its line already is, and the event', () => {
    const [inWorker] = prepareLines([line(order)], routes, true)
    expect(inWorker).toEqual({ kind: 'event', matched: 0b11, messageId: 'm-1' })
    const [here] = prepareLines([line(order)], routes, false)
    expect(here).toEqual({ kind: 'event', matched: 0b11, messageId: 'm-1', text: JSON.stringify(order), event: order })
  })

  it('gives a batch payload its elements, each with its own text, and keeps what a replayed dead letter says', () => {
    const page = { type: 'page', messageId: 7 }
    const [batch] = prepareLines([line({ batch: [order, page] })], routes, true)
    expect(batch).toEqual({
      kind: 'elements',
      contents: [
        { kind: 'event', matched: 0b11, messageId: 'm-1', text: JSON.stringify(order) },
        // A messageId that is not a string is no messageId to deduplicate by.
        { kind: 'event', matched: 0, text: JSON.stringify(page) }
      ]
    })
    const origin = { file: 'a.ndjson', where: 'line 3', seq: 3 }
    const letter = { deadLetter: { subscription: 'Orders', ...origin }, raw: JSON.stringify(order) }
    const [replayed] = prepareLines([line(letter)], routes, true)
    expect(replayed).toEqual({
      kind: 'event',
      matched: 0b11,
      messageId: 'm-1',
      text: letter.raw,
      only: 'Orders',
      origin
    })
  })

  it('reads blank lines, broken JSON and values that are not events as the reader always has', () => {
    const prepared = prepareLines(
      [{ kind: 'line', text: '  ', arrayLines: false }, { kind: 'line', text: '{"a', arrayLines: false }, line([1])],
      routes,
      true
    )
    expect(prepared.map((content) => content.kind)).toEqual(['blank', 'unreadable', 'unreadable'])
  })
})

describe('taken', () => {
  it('restores the text a worker left out from the line, and makes bytes that crossed threads a Buffer again', () => {
    const event: PreparedContent = { kind: 'event', matched: 1 }
    expect(taken(event, '{"type":"track"}')).toMatchObject({ text: '{"type":"track"}' })
    const raw = new Uint8Array(Buffer.from('{"a'))
    const unreadable = taken({ kind: 'unreadable', reason: 'r', raw: raw as Buffer, truncated: false })
    expect(Buffer.isBuffer(unreadable.kind === 'unreadable' && unreadable.raw)).toBe(true)
    expect(unreadable).toMatchObject({ raw: Buffer.from('{"a') })
  })

  it('refuses an event that has no text at all', () => {
    expect(() => taken({ kind: 'event', matched: 1 })).toThrow('without its text')
  })
})
