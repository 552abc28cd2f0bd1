import { isAscii } from 'node:buffer'
import { createHash, randomUUID } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { open } from 'node:fs/promises'
import path from 'node:path'
import type { JSONObject } from '@segment/actions-core'
import type { AnyDestination } from '../../instance'
import { ConfigError } from '../../instance'
import type { SubscriptionConfig } from '../../instance'

/** What a run is applied to: its checkpoint belongs to this and to nothing else. */
export interface RunIdentity {
  /** Dry runs keep state of their own: a dry run never resumes or completes a real run. */
  mode: 'real' | 'dry'
  /** Hashes of the destination with its settings (secrets left out), and of the subscriptions. */
  configuration: { settings: string; subscriptions: string }
  inputs: InputIdentity[]
}

/** An input by content: its resolved path, size and the hashes of its first and last megabyte. stdin has none. */
export type InputIdentity = { path: '-' } | { path: string; size: number; head: string; tail: string }

const EDGE_BYTES = 1 << 20

export const newRunId = (): string => randomUUID()

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** The configuration's fingerprint: settings of type password (secrets) are left out, as is how fast to send (batching included). */
export function configurationHash(
  destination: AnyDestination,
  settings: JSONObject,
  subscriptions: SubscriptionConfig[]
): RunIdentity['configuration'] {
  const fields = (destination.definition.authentication?.fields ?? {}) as Record<string, { type?: string }>
  const visible = Object.fromEntries(
    Object.entries(settings)
      .filter(([key]) => fields[key]?.type !== 'password' && key !== 'oauth')
      .sort(([a], [b]) => a.localeCompare(b))
  )
  const triggers = subscriptions.map(({ name, subscribe, partnerAction, mapping }) => ({
    name,
    subscribe,
    partnerAction,
    mapping
  }))
  return {
    settings: sha256(JSON.stringify({ destination: destination.name, settings: visible })),
    subscriptions: sha256(JSON.stringify(triggers))
  }
}

export async function inputIdentity(file: string): Promise<InputIdentity> {
  if (file === '-') return { path: '-' }
  const resolved = path.resolve(file)
  let handle
  try {
    handle = await open(resolved, 'r')
  } catch (error) {
    throw new ConfigError(`Cannot read the input ${file}: ${(error as Error).message}`)
  }
  try {
    const { size } = await handle.stat()
    const read = async (position: number) => {
      const buffer = Buffer.alloc(Math.min(EDGE_BYTES, size))
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
      return sha256(buffer.subarray(0, bytesRead))
    }
    return { path: resolved, size, head: await read(0), tail: await read(Math.max(0, size - EDGE_BYTES)) }
  } finally {
    await handle.close()
  }
}

/**
 * Why a checkpoint cannot resume this run, in words a person can act on, or undefined when it can.
 * `checkpointPath` names the file in the message.
 */
export function mismatch(saved: RunIdentity, current: RunIdentity, checkpointPath: string): string | undefined {
  const fix = `Another run? Give it its own --checkpoint (and --dead-letter). To redo this run from the start instead, add --restart (the dead letters of the run it replaces are moved aside, kept).`
  const intro = `The checkpoint ${checkpointPath} cannot resume this run:`
  if (saved.mode !== current.mode) {
    return `${intro} it belongs to a ${saved.mode === 'dry' ? 'dry run' : 'real run'}, and this is a ${current.mode === 'dry' ? 'dry run' : 'real run'}; dry runs keep their own state. ${fix}`
  }
  if (saved.configuration.settings !== current.configuration.settings) {
    return `${intro} it was written for other settings of the destination (another account, say: the client id differs, or another setting). ${fix}`
  }
  if (saved.configuration.subscriptions !== current.configuration.subscriptions) {
    return `${intro} it was written for other subscriptions (their names, triggers or mappings differ). ${fix}`
  }
  const names = (inputs: InputIdentity[]) => inputs.map((input) => input.path).join(', ')
  if (
    saved.inputs.length !== current.inputs.length ||
    saved.inputs.some((input, i) => input.path !== current.inputs[i].path)
  ) {
    return `${intro} it was written for the inputs ${names(saved.inputs)}, not ${names(current.inputs)}. ${fix}`
  }
  for (const [index, input] of saved.inputs.entries()) {
    const now = current.inputs[index]
    if (
      'size' in input &&
      'size' in now &&
      (input.size !== now.size || input.head !== now.head || input.tail !== now.tail)
    ) {
      return `${intro} ${input.path} is not the file it was written for (${input.size !== now.size ? `${input.size} bytes then, ${now.size} now` : 'its content differs'}): a new export under the same name? ${fix}`
    }
  }
  return undefined
}

/**
 * A fingerprint of one record as read (its CRC-32, and its length above it, 48 bits), summed over the records a
 * resume skips to check that they are the ones the checkpoint covered: stdin has no other identity, and a file
 * may change between its first and last megabyte. A checksum against accidents, not adversaries: a fifth of
 * SHA-1's cost for every event read.
 */
export function recordChecksum(content: string | Buffer): number {
  return (content.length % 2 ** 16) * 2 ** 32 + crc32(content)
}

/** recordChecksum of the text whose UTF-8 is `json`, without decoding it unless it is not ASCII. */
export function jsonChecksum(json: Buffer): number {
  const length = isAscii(json) ? json.length : json.toString('utf8').length
  return (length % 2 ** 16) * 2 ** 32 + crc32(json)
}

/** Sums of checksums stay exact integers: modulo 2^48. */
export const addChecksum = (sum: number, checksum: number): number => (sum + checksum) % 2 ** 48
