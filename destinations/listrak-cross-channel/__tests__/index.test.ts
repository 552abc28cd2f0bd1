import { createTestIntegration } from '@segment/actions-core'
import nock from 'nock'
import Definition, { withEndpoints } from '../index'

const AUTH = 'https://auth.listrak.com'
const API = 'https://api.listrak.com'
const settings = { client_id: 'my-client', client_secret: 'my-secret-value' }

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe('Listrak Cross Channel', () => {
  describe('testAuthentication', () => {
    it('gets a token with the client credentials and lists the event configurations with it', async () => {
      let form: URLSearchParams | undefined
      nock(AUTH)
        .post('/OAuth2/Token', (body: string) => {
          form = new URLSearchParams(body)
          return true
        })
        .reply(200, { access_token: 'fresh-token', token_type: 'Bearer', expires_in: 3600 })
      const list = nock(API)
        .get('/crosschannel/v1/eventConfigurations')
        .matchHeader('authorization', 'Bearer fresh-token')
        .reply(200, { data: [{ eventUID: '6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01', eventName: 'Order Placed' }] })

      await expect(createTestIntegration(Definition).testAuthentication(settings)).resolves.not.toThrow()
      expect(Object.fromEntries(form ?? [])).toEqual({
        grant_type: 'client_credentials',
        client_id: 'my-client',
        client_secret: 'my-secret-value'
      })
      expect(list.isDone()).toBe(true)
    })

    it('says plainly that refused credentials are refused, without echoing the secret', async () => {
      nock(AUTH).post('/OAuth2/Token').reply(401, { error: 'invalid_client' })
      const refused = { ...settings, client_id: 'refused-client' }
      const error = (await createTestIntegration(Definition)
        .testAuthentication(refused)
        .catch((e: unknown) => e)) as Error
      expect(error.message).toMatch(/refused the client credentials \(HTTP 401\)/)
      expect(error.message).not.toContain(refused.client_secret)
    })

    it('reads a list of event configurations of more than 16 KB (actions-core must not leave a cloned body unread)', async () => {
      nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })
      const data = Array.from({ length: 300 }, (_, i) => ({
        eventUID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        eventName: `Event configuration number ${i}`
      }))
      const list = nock(API).get('/crosschannel/v1/eventConfigurations').reply(200, { data })
      await createTestIntegration(Definition).testAuthentication(settings)
      expect(list.isDone()).toBe(true)
    })
  })

  describe('refreshAccessToken', () => {
    it("goes through the framework's request, without a bearer header, and returns the new token", async () => {
      let authorization: string | undefined
      nock(AUTH)
        .post('/OAuth2/Token')
        .reply(function () {
          authorization = this.req.headers.authorization
          return [200, { access_token: 'refreshed-token' }]
        })
      const tokens = await createTestIntegration(Definition).refreshAccessToken(
        { ...settings, client_id: 'refreshing-client' },
        { accessToken: 'expired-token', refreshToken: '', clientId: '', clientSecret: '' }
      )
      expect(tokens).toEqual({ accessToken: 'refreshed-token' })
      expect(authorization).toBeUndefined()
    })
  })

  describe('withEndpoints', () => {
    it('points the same definition at another server on this machine', async () => {
      nock('http://localhost:4010').post('/token').reply(200, { access_token: 'local-token' })
      const list = nock('http://localhost:4010').get('/v1/eventConfigurations').reply(200, { data: [] })
      const local = withEndpoints({ apiUrl: 'http://localhost:4010/v1/', tokenUrl: 'http://localhost:4010/token' })
      await createTestIntegration(local).testAuthentication({ ...settings, client_id: 'local-client' })
      expect(list.isDone()).toBe(true)
      expect(Object.keys(local.actions)).toEqual(Object.keys(Definition.actions))
    })

    it('refuses plain http to any other host', () => {
      expect(() => withEndpoints({ apiUrl: 'http://api.example.com/v1' })).toThrow(
        'The apiUrl "http://api.example.com" must use https (plain http is only allowed to localhost).'
      )
    })

    it('leaves the host out of the settings: a customer can choose none', () => {
      expect(Object.keys(Definition.authentication?.fields ?? {})).toEqual(['client_id', 'client_secret'])
    })
  })

  describe('presets', () => {
    it("maps every field the action requires, the event configuration from the track event's name", () => {
      const [preset] = Definition.presets ?? []
      const action = Definition.actions[preset.partnerAction]
      const required = Object.entries(action.fields)
        .filter(([, field]) => field.required)
        .map(([key]) => key)
      expect(required).toEqual(['eventUID'])
      expect(preset.mapping).toMatchObject({ eventUID: { '@path': '$.event' } })
      for (const key of required) expect(preset.mapping).toHaveProperty(key)
    })
  })
})
