/**
 * Deterministic, realistic Segment exports: what `npm start` backfills (examples/) and what tests
 * and benchmarks generate at any size. `npm run sample` rewrites examples/segment-export.ndjson.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { seededRandom } from '../src/simulator/random'

const FIRST = [
  'ada',
  'grace',
  'alan',
  'barbara',
  'edsger',
  'donald',
  'frances',
  'ken',
  'margaret',
  'linus',
  'radia',
  'tim'
]
const LAST = [
  'lovelace',
  'hopper',
  'turing',
  'liskov',
  'dijkstra',
  'knuth',
  'allen',
  'thompson',
  'hamilton',
  'torvalds',
  'perlman',
  'berners-lee'
]
const DOMAINS = ['example.com', 'mail.example.org', 'shop.example.net']
const PRODUCTS = [
  ['SKU-1001', 'Merino Wool Sweater', 'Apparel', 89.0],
  ['SKU-1002', 'Trail Running Shoes', 'Footwear', 129.95],
  ['SKU-1003', 'Insulated Water Bottle', 'Outdoor', 24.5],
  ['SKU-1004', 'Rain Shell Jacket', 'Apparel', 159.0],
  ['SKU-1005', 'Wool Hiking Socks', 'Apparel', 18.0]
] as const

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export interface ExportOptions {
  count: number
  seed?: number
  /** Mix in page/identify/other track events the subscription filters out. */
  otherEvents?: boolean
  /** Mix in bad lines: malformed JSON, blank lines, missing identifiers, values that will not coerce, repeats. */
  badLines?: boolean
  /** Start timestamps here (ms since epoch). */
  startAt?: number
}

/** Lines of an export: Segment "Order Completed" track events, about 800 bytes each. */
export function* exportLines(options: ExportOptions): Generator<string> {
  const next = seededRandom(options.seed ?? 1)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]
  let time = options.startAt ?? Date.UTC(2025, 0, 1)
  let previous = ''
  for (let i = 0; i < options.count; i++) {
    time += Math.floor(next() * 60_000)
    const first = pick(FIRST)
    const last = pick(LAST)
    const email = `${first}.${last}${Math.floor(next() * 1000)}@${pick(DOMAINS)}`
    const userId = `user-${Math.floor(next() * 100_000)}`
    const timestamp = new Date(time).toISOString()
    const context = {
      library: { name: 'analytics.js', version: '2.11.1' },
      ip: `203.0.113.${Math.floor(next() * 255)}`,
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5',
      traits: {
        email,
        phone:
          next() < 0.3 ? `+1 (555) ${100 + Math.floor(next() * 900)}-${1000 + Math.floor(next() * 9000)}` : undefined,
        firstName: first,
        lastName: last
      }
    }
    const base = {
      messageId: uuid(next),
      userId,
      anonymousId: uuid(next),
      timestamp,
      receivedAt: timestamp,
      sentAt: timestamp,
      context
    }
    const roll = next()
    const flaw = options.badLines ? next() : 1

    if (flaw < 0.004) {
      yield `{"type":"track","event":"Order Completed","messageId":"${uuid(next)}","properties":{"order_id":` // cut off mid-line
      continue
    }
    if (flaw < 0.006) {
      yield ''
      continue
    }
    if (flaw < 0.012 && previous) {
      yield previous // the export repeats an event: same messageId
      continue
    }
    if (options.otherEvents && roll < 0.12) {
      yield JSON.stringify({
        ...base,
        type: 'page',
        name: 'Home',
        properties: { path: '/', title: 'Home', url: 'https://shop.example.com/' }
      })
      continue
    }
    if (options.otherEvents && roll < 0.2) {
      const [sku, name, category, price] = pick(PRODUCTS)
      yield JSON.stringify({
        ...base,
        type: 'track',
        event: 'Product Viewed',
        properties: { product_id: sku, name, category, price }
      })
      continue
    }
    if (options.otherEvents && roll < 0.24) {
      yield JSON.stringify({ ...base, type: 'identify', traits: context.traits })
      continue
    }

    const products = Array.from({ length: 1 + Math.floor(next() * 2) }, () => {
      const [sku, name, category, price] = pick(PRODUCTS)
      return { product_id: sku, name, category, price, quantity: 1 + Math.floor(next() * 2) }
    })
    const quantity = products.reduce((sum, product) => sum + product.quantity, 0)
    const total = Math.round(products.reduce((sum, product) => sum + product.price * product.quantity, 0) * 100) / 100
    const properties: Record<string, unknown> = {
      order_id: `ORD-${100000 + i}`,
      total,
      revenue: total,
      currency: 'USD',
      quantity,
      coupon: next() < 0.2 ? 'WELCOME10' : undefined,
      products
    }
    const event: Record<string, unknown> = { ...base, type: 'track', event: 'Order Completed', properties }
    if (flaw < 0.016)
      context.traits.email = '' // no identifier at all
    else if (flaw < 0.02)
      properties.total = 'N/A' // will not coerce to Double
    else if (flaw < 0.023)
      properties.quantity = 2.5 // will not coerce to Int
    else if (flaw < 0.026)
      event.timestamp = 'yesterday' // will not coerce to Date
    else if (flaw < 0.03) context.traits.email = `${first} at ${pick(DOMAINS)}` // not an email
    previous = JSON.stringify(event)
    yield previous
  }
}

if (require.main === module) {
  const lines = [...exportLines({ count: 3000, seed: 20251, otherEvents: true, badLines: true })]
  const file = path.join(__dirname, '..', 'examples', 'segment-export.ndjson')
  writeFileSync(file, `${lines.join('\n')}\n`)
  console.log(`wrote ${file} (${lines.length} lines)`)
}
