import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { buildManifest, renderManifest } from '../src/manifest'

const root = path.join(__dirname, '..')

describe('generated files are up to date', () => {
  // Prettier (inside json-schema-to-typescript) loads its plugins with dynamic import, which jest's
  // module sandbox does not allow: the check runs the generator in a child process instead.
  it('generated-types.ts match the fields (run `npm run generate:types`)', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(root, 'scripts', 'generate-types.ts'), '--check'],
      { cwd: root, encoding: 'utf8' }
    )
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: '' })
  })

  it('manifest.json matches the registry (run `npm run manifest`)', () => {
    expect(readFileSync(path.join(root, 'manifest.json'), 'utf8')).toBe(renderManifest())
  })
})

describe('manifest.json', () => {
  it('tells a CDP the entry point, the settings and the action with its batching keys', () => {
    const [destination] = buildManifest().destinations
    expect(destination).toMatchObject({
      slug: 'actions-listrak-cross-channel',
      entryPoint: 'dist/destinations/listrak-cross-channel/index.js',
      authentication: { scheme: 'oauth2' },
      settings: { required: ['client_id', 'client_secret'] }
    })
    expect(destination.settings.properties?.client_secret).toMatchObject({ format: 'password' })
    expect(destination.actions[0]).toMatchObject({
      slug: 'sendCustomEvent',
      dynamicFields: ['eventUID', 'dataFields'],
      batching: { supported: true, batchKeys: ['eventUID'] }
    })
  })

  it('lists no setting that could choose a host: the endpoints are fixed in code', () => {
    const [destination] = buildManifest().destinations
    const settings = Object.entries(destination.settings.properties ?? {})
    expect(settings.map(([name]) => name).sort()).toEqual(['client_id', 'client_secret'])
    for (const [name, schema] of settings) {
      expect({ name, format: schema.format }).not.toMatchObject({ format: expect.stringMatching(/uri|url|host/i) })
    }
  })

  it('names an entry point that exists after the build', () => {
    const [destination] = buildManifest().destinations
    // The TypeScript source the entry point is built from.
    const source = destination.entryPoint.replace(/^dist\//, '').replace(/\.js$/, '.ts')
    expect(() => readFileSync(path.join(root, source))).not.toThrow()
  })
})
