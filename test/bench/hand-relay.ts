/**
 * The relay stage's baseline, the least a relay could do: read a request's JSON array of events, map each with
 * plain code, POST them to the API in one request, answer 200. No auth, no memory, no limits, no retries.
 * Prints its URL on stdout; stops on SIGTERM.
 *
 * node hand-relay.js API_URL TOKEN_URL EVENT_UID
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { map, post, simulatorToken } from './hand-mapping'
import type { SegmentLike } from './hand-mapping'

async function main([apiUrl, tokenUrl, eventUID]: string[]): Promise<void> {
  const token = await simulatorToken(tokenUrl)
  const url = new URL(`${apiUrl}/eventConfigurations/${eventUID}/events`)
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SegmentLike[]
      post(url, token, JSON.stringify({ events: events.map(map) })).then(
        () => response.writeHead(200).end('{}'),
        () => response.writeHead(503).end('{}')
      )
    })
  })
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
  })
  process.once('SIGTERM', () => server.close())
}

void main(process.argv.slice(2))
