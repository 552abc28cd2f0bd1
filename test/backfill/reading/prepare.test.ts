import { routeOf } from '../../../src/instance/routes'
import { packLines, preparePacked, taken } from '../../../src/backfill/reading/prepare'

const mapping = { eventUID: 'e-1' }
const routes = [
  routeOf(0, 'Orders', { subscribe: 'event = "Order Completed"', partnerAction: 'send', mapping }, []),
  routeOf(1, 'Any track', { subscribe: 'type = "track"', partnerAction: 'send', mapping }, [])
]
const order = { type: 'track', event: 'Order Completed', messageId: 'm-1' }
/** Lines as a worker thread (`inWorker`) or this thread prepares them, packed as they cross threads. */
const prepared = (texts: string[], inWorker: boolean) =>
  preparePacked(
    [packLines(texts.map((text) => ({ kind: 'line', bytes: Buffer.from(text), arrayLines: false })))],
    routes,
    inWorker
  )[0]
const prepareLines = (values: unknown[], inWorker: boolean) =>
  prepared(
    values.map((value) => JSON.stringify(value)),
    inWorker
  )

describe('preparePacked', () => {
  it('routes each event and gives its messageId, but not the text its line is; this thread keeps the event', () => {
    const [inWorker] = prepareLines([order], true)
    expect(inWorker).toEqual({ kind: 'event', matched: 0b11, messageId: 'm-1' })
    const [here] = prepareLines([order], false)
    expect(here).toEqual({ kind: 'event', matched: 0b11, messageId: 'm-1', event: order })
  })

  it('reads each packed line between its ends, multi-byte characters included', () => {
    const events = [{ ...order, messageId: 'é-1' }, order, { ...order, messageId: '日本-3' }]
    expect(prepareLines(events, true).map((content) => content.kind === 'event' && content.messageId)).toEqual([
      'é-1',
      'm-1',
      '日本-3'
    ])
  })

  it('gives a batch payload its elements, each with its own text, and keeps what a replayed dead letter says', () => {
    const page = { type: 'page', messageId: 7 }
    const [batch] = prepareLines([{ batch: [order, page] }], true)
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
    const [replayed] = prepareLines([letter], true)
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
    const contents = prepared(['  ', '{"a', '[1]'], true)
    expect(contents.map((content) => content.kind)).toEqual(['blank', 'unreadable', 'unreadable'])
  })
})

describe('taken', () => {
  it('gives an event the bytes of its line, or of its own text, and makes bytes that crossed threads a Buffer', () => {
    const line = Buffer.from('{"type":"track"}')
    expect(taken({ kind: 'event', matched: 1 }, line)).toMatchObject({ json: line })
    expect(taken({ kind: 'event', matched: 1, text: '{"é":1}' }, line)).toMatchObject({ json: Buffer.from('{"é":1}') })
    const raw = new Uint8Array(Buffer.from('{"a'))
    const unreadable = taken({ kind: 'unreadable', reason: 'r', raw: raw as Buffer, truncated: false })
    expect(Buffer.isBuffer(unreadable.kind === 'unreadable' && unreadable.raw)).toBe(true)
    expect(unreadable).toMatchObject({ raw: Buffer.from('{"a') })
  })

  it('refuses an event that has no text at all', () => {
    expect(() => taken({ kind: 'event', matched: 1 })).toThrow('without its JSON')
  })
})
