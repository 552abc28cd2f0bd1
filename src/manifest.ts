import { fieldsToJsonSchema } from '@segment/actions-core'
import type { JSONSchema4 } from 'json-schema'
import { version } from '../package.json'
import { destinations } from '../destinations'

export interface ActionManifest {
  slug: string
  title: string
  description: string
  defaultSubscription?: string
  fields: JSONSchema4
  dynamicFields: string[]
  batching: { supported: boolean; batchKeys: string[] }
}

export interface DestinationManifest {
  name: string
  slug: string
  version: string
  description?: string
  mode: string
  entryPoint: string
  authentication: { scheme: string }
  settings: JSONSchema4
  actions: ActionManifest[]
  presets: unknown[]
}

/** What a CDP needs to offer the destinations of this package: built from the registry, never by hand. */
export function buildManifest(): { destinations: DestinationManifest[] } {
  return {
    destinations: Object.entries(destinations).map(([slug, { definition, directory }]) => ({
      name: definition.name,
      slug,
      version,
      description: definition.description,
      mode: definition.mode,
      entryPoint: `dist/destinations/${directory}/index.js`,
      authentication: { scheme: definition.authentication?.scheme ?? 'none' },
      settings: fieldsToJsonSchema(definition.authentication?.fields ?? {}),
      actions: Object.entries(definition.actions).map(([actionSlug, action]) => {
        const batchKeys = action.fields.batch_keys?.default
        return {
          slug: actionSlug,
          title: action.title,
          description: action.description,
          defaultSubscription: action.defaultSubscription,
          fields: fieldsToJsonSchema(action.fields),
          dynamicFields: Object.keys(action.dynamicFields ?? {}),
          batching: {
            supported: action.performBatch !== undefined,
            batchKeys: Array.isArray(batchKeys) ? batchKeys : []
          }
        }
      }),
      presets: definition.presets ?? []
    }))
  }
}

export function renderManifest(): string {
  return `${JSON.stringify(buildManifest(), null, 2)}\n`
}
