/**
 * Stage 2, the best a custom script could do: parse, map with plain code, batch, POST to the API
 * with the same concurrency, nothing else (no validation, no retries, no checkpoints, no dead
 * letters). Prints {"events": n, "ms": t} on stdout.
 *
 * node hand-written.js FILE API_URL TOKEN_URL EVENT_UID CONCURRENCY BATCH_SIZE
 */
import { createReadStream } from 'node:fs'
import { Agent, request } from 'node:http'

interface SegmentLike {
  timestamp: string
  context?: { traits?: { email?: string; phone?: string } }
  properties?: {
    email?: string
    order_id?: string
    total?: number
    quantity?: number
    currency?: string
    coupon?: string
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

function post(url: URL, token: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`
        }
      },
      (response) => {
        response.resume()
        response.on('end', () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))
        )
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

function map(event: SegmentLike): unknown {
  const properties = event.properties ?? {}
  const identifiers = [
    {
      identifierType: 'EmailAddress',
      identifierValue: String(event.context?.traits?.email ?? properties.email)
        .trim()
        .toLowerCase()
    }
  ]
  const phone = event.context?.traits?.phone
  if (phone) identifiers.push({ identifierType: 'PhoneNumber', identifierValue: phone.replace(/\D/g, '') })
  const dataFields: Record<string, string> = {
    orderId: String(properties.order_id),
    orderTotal: String(properties.total),
    itemCount: String(properties.quantity),
    orderDate: new Date(event.timestamp).toISOString(),
    currency: String(properties.currency)
  }
  if (properties.coupon !== undefined) dataFields.couponCode = properties.coupon
  return { identifiers, dataFields }
}

async function main([file, apiUrl, tokenUrl, eventUID, concurrencyText, batchSizeText]: string[]): Promise<void> {
  const concurrency = Number(concurrencyText)
  const batchSize = Number(batchSizeText)
  const tokenResponse = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=simulator-client&client_secret=simulator-secret'
  })
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
  const url = new URL(`${apiUrl}/eventConfigurations/${eventUID}/events`)
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  let batch: unknown[] = []
  let events = 0
  const flush = async () => {
    const sending = post(url, token, JSON.stringify({ events: batch }))
    batch = []
    inFlight.add(sending)
    void sending.finally(() => inFlight.delete(sending))
    if (inFlight.size >= concurrency) await Promise.race(inFlight)
  }
  let carry = ''
  for await (const chunk of createReadStream(file, {
    encoding: 'utf8',
    highWaterMark: 1 << 20
  }) as AsyncIterable<string>) {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop() ?? ''
    for (const line of lines) {
      if (line.length === 0) continue
      batch.push(map(JSON.parse(line) as SegmentLike))
      events++
      if (batch.length === batchSize) await flush()
    }
  }
  if (batch.length > 0) await flush()
  await Promise.all(inFlight)
  process.stdout.write(`${JSON.stringify({ events, ms: performance.now() - started })}\n`)
}

void main(process.argv.slice(2))
