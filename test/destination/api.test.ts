import { createRequestClient } from '@segment/actions-core'
import { getWithClientCredentials } from '../../destinations/listrak-cross-channel/api'
import { parseEventConfigurationList } from '../../destinations/listrak-cross-channel/contract'
import { PRODUCTION_ENDPOINTS, resolveEndpoints, safeUrl } from '../../destinations/listrak-cross-channel/endpoints'
import { ExpiringCache } from '../../destinations/listrak-cross-channel/schema-cache'
import { json, startLocalServer } from '../helpers'

describe('safeUrl', () => {
  it.each([
    'https://api.listrak.com/crosschannel/v1',
    'http://localhost:4010',
    'http://127.0.0.1:1/x',
    'http://[::1]:80'
  ])('accepts %s', (url) => expect(() => safeUrl(url, 'apiUrl')).not.toThrow())

  it.each(['http://api.listrak.com', 'http://10.0.0.5', 'http://localhost.evil.com', 'ftp://localhost'])(
    'refuses %s',
    (url) => expect(() => safeUrl(url, 'apiUrl')).toThrow(/apiUrl .* must use https/)
  )

  it('names the endpoint of a URL that does not parse', () => {
    expect(() => safeUrl('not a url', 'tokenUrl')).toThrow('The tokenUrl "not a url" is not a valid URL.')
  })
})

describe('resolveEndpoints', () => {
  it('defaults to production, versioned, and drops a trailing slash of the API base', () => {
    expect(resolveEndpoints()).toEqual({
      apiUrl: 'https://api.listrak.com/crosschannel/v1',
      tokenUrl: 'https://auth.listrak.com/OAuth2/Token'
    })
    expect(resolveEndpoints({ apiUrl: 'http://localhost:1/v1/' })).toEqual({
      apiUrl: 'http://localhost:1/v1',
      tokenUrl: PRODUCTION_ENDPOINTS.tokenUrl
    })
  })

  it('refuses plain http to another host, for either endpoint', () => {
    expect(() => resolveEndpoints({ tokenUrl: 'http://auth.example.com/OAuth2/Token' })).toThrow(
      /tokenUrl "http:\/\/auth.example.com" must use https/
    )
  })
})

describe('ExpiringCache', () => {
  it('shares one load between callers until it expires', async () => {
    let now = 0
    let loads = 0
    const cache = new ExpiringCache<number>(1000, 10, () => now)
    const load = () => Promise.resolve(++loads)
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1])
    now = 999
    expect(await cache.get('k', load)).toBe(1)
    now = 1000
    expect(await cache.get('k', load)).toBe(2)
  })

  it('forgets a failed load so the next call tries again', async () => {
    const cache = new ExpiringCache<number>(1000)
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(await cache.get('k', () => Promise.resolve(5))).toBe(5)
  })
})

describe('getWithClientCredentials', () => {
  it('tries a new token when even a new one is refused, and gives up after that', async () => {
    let issued = 0
    const server = await startLocalServer((request, response) => {
      if (request.url === '/token') return json(response, 200, { access_token: `t${++issued}` })
      if (request.headers.authorization === 'Bearer t2')
        return json(response, 200, { data: [{ eventUID: 'u', eventName: 'n' }] })
      json(response, 401, {})
    })
    try {
      const credentials = { clientId: 'c', clientSecret: 's' }
      const tokenUrl = `${server.url}/token`
      const list = await getWithClientCredentials(
        createRequestClient(),
        tokenUrl,
        credentials,
        'stale',
        `${server.url}/eventConfigurations`,
        parseEventConfigurationList
      )
      expect(list.data).toEqual([{ eventUID: 'u', eventName: 'n' }])
      expect(server.requests.map((request) => request.headers.authorization ?? request.url)).toEqual([
        'Bearer stale',
        '/token',
        'Bearer t1',
        '/token',
        'Bearer t2'
      ])
      issued = 10
      await expect(
        getWithClientCredentials(
          createRequestClient(),
          tokenUrl,
          credentials,
          undefined,
          `${server.url}/eventConfigurations`,
          parseEventConfigurationList
        )
      ).rejects.toThrow(/rejected the access token/)
    } finally {
      await server.close()
    }
  })
})
