/**
 * What the hand-written baselines share: the same mapping of an "Order Completed" event as the example
 * configuration's, a token, and a POST to the events route, with nothing else (no validation, no retries).
 */
import { Agent, request } from 'node:http'

export interface SegmentLike {
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

export function post(url: URL, token: string, body: string): Promise<void> {
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

export function map(event: SegmentLike): unknown {
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

/** A token from the simulator's token endpoint, with the simulator's credentials. */
export async function simulatorToken(tokenUrl: string): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=simulator-client&client_secret=simulator-secret'
  })
  const { access_token: token } = (await response.json()) as { access_token: string }
  return token
}
