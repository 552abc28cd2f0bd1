import { PRODUCTION_ENDPOINTS, resolveEndpoints, safeUrl } from '../endpoints'

describe('safeUrl', () => {
  it.each([
    'https://api.listrak.com/crosschannel/v1',
    'http://localhost:4010',
    'http://127.0.0.1:1/x',
    'http://[::1]:80'
  ])('accepts %s', (url: string) => expect(() => safeUrl(url, 'apiUrl')).not.toThrow())

  it.each(['http://api.listrak.com', 'http://10.0.0.5', 'http://localhost.evil.com', 'ftp://localhost'])(
    'refuses %s',
    (url: string) => expect(() => safeUrl(url, 'apiUrl')).toThrow(/apiUrl .* must use https/)
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
