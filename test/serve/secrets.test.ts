import { readFileSync } from 'node:fs'
import path from 'node:path'
import { workDir } from '../backfill/fixtures'
import { withSimulator } from '../helpers'
import { post, sampleEvents, startTestRelay } from './fixtures'

describe('what the relay writes', () => {
  it('never holds a relay key, a signing secret, a client secret, a token or an identifier value', () =>
    withSimulator({}, async (simulator) => {
      const key = 'relay-key-do-not-print'
      const signingSecret = 'signing-secret-do-not-print'
      const deadLetterPath = path.join(workDir(), 'dead-letters.ndjson')
      const relay = await startTestRelay(simulator, simulator, {
        credentials: { keys: [key], signingSecret },
        deadLetterPath
      })
      try {
        const events = sampleEvents('secret', 2)
        const badPhone = { ...events[0], messageId: 'secret-bad', context: { traits: { phone: 'call-me-maybe' } } }
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` }
        expect((await post(`${relay.url}/v1/events`, JSON.stringify([...events, badPhone]), headers)).status).toBe(200)
        expect(
          (await post(`${relay.url}/v1/events`, '[]', { ...headers, authorization: 'Bearer wrong-key' })).status
        ).toBe(401)
        const metrics = await (await fetch(`${relay.url}/metrics`)).text()
        await relay.close()

        const written = [JSON.stringify(relay.logs), metrics].join('\n')
        const secrets = [
          key,
          signingSecret,
          simulator.credentials.clientSecret,
          'wrong-key',
          ...simulator.state.issuedTokens()
        ]
        for (const secret of secrets) expect(written).not.toContain(secret)
        for (const value of ['buyer0@example.com', 'viewer1@example.com', 'new0@example.com', 'call-me-maybe'])
          expect(written).not.toContain(value)
        // The dead letters keep the rejected event itself (to replay it), and nothing else secret.
        const letters = readFileSync(deadLetterPath, 'utf8')
        for (const secret of secrets) expect(letters).not.toContain(secret)
        expect(letters).toContain('secret-bad')
      } finally {
        await relay.close()
      }
    }))
})
