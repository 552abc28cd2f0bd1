import { createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A write the proxy kept instead of sending. */
export interface CapturedRequest {
  method: string
  path: string
  /** The parsed JSON body, or its text when it is not JSON. */
  body: unknown
}

export interface CaptureProxy {
  /** Point the destination's API base URL here. */
  url: string
  /** Requests captured instead of sent. */
  captured: number
  close(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * The stand-in for the API in dry runs and previews: reads (GET) go through to `target`, so mapping
 * and validation see the real schemas; writes go to `capture` and are answered `200 {}`, so nothing
 * is sent. The destination runs exactly as it would for real.
 */
export async function startCaptureProxy(
  target: string,
  capture: (request: CapturedRequest) => void
): Promise<CaptureProxy> {
  const base = target.replace(/\/+$/, '')
  const proxy: CaptureProxy = { url: '', captured: 0, close: () => Promise.resolve() }

  const server = createServer((request, response) => {
    const reply = (status: number, body: string, contentType = 'application/json') => {
      response.writeHead(status, { 'content-type': contentType })
      response.end(body)
    }
    readBody(request)
      .then(async (body) => {
        if (request.method === 'GET' || request.method === 'HEAD') {
          const upstream = await fetch(`${base}${request.url ?? ''}`, {
            method: request.method,
            headers: request.headers.authorization ? { authorization: request.headers.authorization } : {}
          })
          return reply(
            upstream.status,
            await upstream.text(),
            upstream.headers.get('content-type') ?? 'application/json'
          )
        }
        let parsed: unknown = body.toString('utf8')
        try {
          parsed = JSON.parse(parsed as string)
        } catch {
          // not JSON: keep the text as it is
        }
        proxy.captured++
        capture({ method: request.method ?? 'POST', path: request.url ?? '/', body: parsed })
        reply(200, '{}')
      })
      .catch((error: unknown) => reply(502, JSON.stringify({ error: (error as Error).message })))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return proxy
}
