/**
 * Writes each destination's generated-types.ts (Settings) and each action's (Payload) from their
 * field definitions, as Segment's private `generate:types` does. `npm run generate:types`;
 * `--check` only reports stale files, which test/generated-files.test.ts relies on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fieldsToJsonSchema } from '@segment/actions-core'
import type { MinimalInputField } from '@segment/actions-core'
import type { JSONSchema4 } from 'json-schema'
import { compile } from 'json-schema-to-typescript'
import type { Options } from 'prettier'
import prettierConfig from '../.prettierrc.json'
import { destinations } from '../destinations'

const BANNER = '// Generated file. DO NOT MODIFY IT BY HAND. Run `npm run generate:types` after changing fields.'

/** Titles would make json-schema-to-typescript emit a named alias per field; Segment's types inline them. */
function withoutTitles(schema: JSONSchema4): JSONSchema4 {
  const { title: _title, properties, ...rest } = schema
  if (!properties) return rest
  return { ...rest, properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, withoutTitles(v)])) }
}

async function typesFor(fields: Record<string, MinimalInputField>, name: string): Promise<string> {
  const schema = { ...withoutTitles(fieldsToJsonSchema(fields, { tsType: true })), additionalProperties: false }
  return compile(schema, name, {
    bannerComment: BANNER,
    style: { ...(prettierConfig as Options), parser: 'typescript' }
  })
}

/** Path (relative to the repository) → expected content, for every generated-types.ts. */
export async function generateTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const { definition, directory } of Object.values(destinations)) {
    const base = path.join('destinations', directory)
    files.set(
      path.join(base, 'generated-types.ts'),
      await typesFor(definition.authentication?.fields ?? {}, 'Settings')
    )
    for (const [slug, action] of Object.entries(definition.actions)) {
      files.set(path.join(base, slug, 'generated-types.ts'), await typesFor(action.fields, 'Payload'))
    }
  }
  return files
}

/** Writes the files, or with --check only reports the stale ones (exit 1). */
async function run(check: boolean): Promise<number> {
  const stale: string[] = []
  for (const [file, content] of await generateTypes()) {
    const target = path.join(__dirname, '..', file)
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined
    if (current === content) continue
    stale.push(file)
    if (!check) writeFileSync(target, content)
  }
  const verb = check ? 'stale' : 'wrote'
  for (const file of stale) console.log(`${verb} ${file}`)
  if (check && stale.length > 0) console.log('Run `npm run generate:types` and commit the result.')
  return check && stale.length > 0 ? 1 : 0
}

if (require.main === module) {
  run(process.argv.includes('--check')).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
