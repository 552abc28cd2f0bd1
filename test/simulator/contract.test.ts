import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { API_PREFIX } from '../../src/simulator'
import { contractPath, contractValidator } from '../../src/simulator/contract'
import type { ContractSchemaName } from '../../src/simulator/contract'

interface OpenApi {
  servers: { url: string }[]
  paths: Record<string, Record<string, unknown>>
  components: { schemas: Record<string, unknown> }
}

const spec = parse(readFileSync(contractPath(), 'utf8')) as OpenApi

// The project's copy of the API contract (contract/) is what the simulator serves and validates against:
// it must describe the same routes and hold every schema the simulator names.
describe('the API contract in contract/', () => {
  it('describes the routes the simulator serves, with their methods, under its path prefix', () => {
    const routes = Object.entries(spec.paths).map(([route, methods]) => `${Object.keys(methods).join(',')} ${route}`)
    expect(routes.sort()).toEqual([
      'get /eventConfigurations',
      'get /eventConfigurations/{eventUID}',
      'post /eventConfigurations/{eventUID}/events'
    ])
    expect(spec.servers.map((server) => new URL(server.url).pathname)).toContain(API_PREFIX)
  })

  it.each<ContractSchemaName>([
    'EventList',
    'CustomEventPostResponse',
    'CustomEventConfigurationListResponse',
    'CustomEventDetailResponse'
  ])('holds the %s schema the simulator validates against', (name) => {
    expect(Object.keys(spec.components.schemas)).toContain(name)
    expect(typeof contractValidator(name)).toBe('function')
  })
})
