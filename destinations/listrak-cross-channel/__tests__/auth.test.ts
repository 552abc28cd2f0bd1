import { createRequestClient } from '@segment/actions-core'
import nock from 'nock'
import { getWithClientCredentials } from '../auth'
import { parseEventConfigurationList } from '../sendCustomEvent/contract'

const SERVER = 'https://auth-test.example.com'

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe('getWithClientCredentials', () => {
  const credentials = { clientId: 'c', clientSecret: 's' }
  const get = (accessToken: string | undefined) =>
    getWithClientCredentials(
      createRequestClient(),
      `${SERVER}/token`,
      credentials,
      accessToken,
      `${SERVER}/eventConfigurations`,
      parseEventConfigurationList
    )

  it('tries a new token when even a new one is refused, and gives up after that', async () => {
    let issued = 0
    const seen: string[] = []
    nock(SERVER)
      .persist()
      .post('/token')
      .reply(() => {
        seen.push('/token')
        return [200, { access_token: `t${++issued}` }]
      })
    nock(SERVER)
      .persist()
      .get('/eventConfigurations')
      .reply(function () {
        const authorization = String(this.req.headers.authorization)
        seen.push(authorization)
        return authorization === 'Bearer t2' ? [200, { data: [{ eventUID: 'u', eventName: 'n' }] }] : [401, {}]
      })

    const list = await get('stale')
    expect(list.data).toEqual([{ eventUID: 'u', eventName: 'n' }])
    expect(seen).toEqual(['Bearer stale', '/token', 'Bearer t1', '/token', 'Bearer t2'])

    issued = 10
    await expect(get(undefined)).rejects.toThrow(/rejected the access token/)
  })
})
