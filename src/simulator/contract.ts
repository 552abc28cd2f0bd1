import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import Ajv from 'ajv'
import type { ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'

const CONTRACT_FILE = path.join('contract', 'listrak-crosschannel-openapi.yml')
const SPEC_ID = 'listrak-crosschannel'

/** The package root holds contract/; walk up from here, whether running from src/ or dist/src/. */
export function contractPath(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, CONTRACT_FILE)
    if (existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) throw new Error(`Cannot find ${CONTRACT_FILE} above ${__dirname}`)
  }
}

export type ContractSchemaName =
  'EventList' | 'CustomEventPostResponse' | 'CustomEventConfigurationListResponse' | 'CustomEventDetailResponse'

let ajv: Ajv | undefined

function contractAjv(): Ajv {
  if (ajv) return ajv
  const spec = parse(readFileSync(contractPath(), 'utf8')) as Record<string, unknown>
  // The OpenAPI document is added whole so that its #/components/schemas/... references resolve.
  ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 })
  ajv.addFormat('string', true)
  ajv.addSchema({ $id: SPEC_ID, components: spec.components })
  return ajv
}

/** A validator for one of the contract's component schemas. */
export function contractValidator(name: ContractSchemaName): ValidateFunction {
  const instance = contractAjv()
  const ref = `${SPEC_ID}#/components/schemas/${name}`
  return instance.getSchema(ref) ?? instance.compile({ $ref: ref })
}

/** ajv's errors as one readable line: "/events/0/identifiers/0/identifierType must be equal to one of the allowed values". */
export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}`)
    .join('; ')
}
