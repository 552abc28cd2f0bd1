import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Destination } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { exportLines } from '../../scripts/sample-export'
import { Backfill } from '../../src/backfill'
import { parseInstanceFile } from '../../src/instance'
import { addChecksum, configurationHash, inputIdentity } from '../../src/backfill/state/identity'
import { checksumOf } from '../../src/backfill/ledger/ledger'
import type { LedgerCounts } from '../../src/backfill/ledger/ledger'
import { readRecords } from '../../src/backfill/reading'
import type { BackfillOptions } from '../../src/backfill'
import { definitionFrom } from '../../src/instance/recipe'
import type { DestinationSource } from '../../src/instance'
import type { RunningSimulator } from '../../src/simulator'
import { definitionFor, ORDER_EVENT, settingsFor } from '../helpers'

export const workDir = (): string => mkdtempSync(path.join(tmpdir(), 'backfill-'))

/** The sample instance's subscriptions (examples/backfill.json): orders, product views, identify calls to sign-ups. */
export const subscriptions = parseInstanceFile(
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')),
  'examples/backfill.json'
).subscriptions

/** Good "Order Completed" lines, each with a unique order_id; `extra` puts other lines at given line numbers. */
export function writeExport(
  dir: string,
  count: number,
  extra: Record<number, string> = {},
  name = 'export.ndjson'
): { file: string; lines: string[]; orderIds: string[] } {
  const good = [...exportLines({ count, seed: 7 })]
  const lines: string[] = []
  for (let line = 1; good.length > 0 || extra[line] !== undefined; line++)
    lines.push(extra[line] ?? (good.shift() as string))
  const file = path.join(dir, name)
  writeFileSync(file, `${lines.join('\n')}\n`)
  const orderIds = lines.flatMap((line) => {
    try {
      const event = JSON.parse(line) as { event?: string; properties?: { order_id?: string } }
      return event.event === 'Order Completed' && event.properties?.order_id ? [event.properties.order_id] : []
    } catch {
      return []
    }
  })
  return { file, lines, orderIds }
}

export function backfillOptions(
  simulator: RunningSimulator,
  dir: string,
  inputs: string[],
  overrides: Partial<BackfillOptions> = {}
): BackfillOptions {
  return {
    source: { definition: definitionFor(simulator) },
    settings: settingsFor(simulator) as unknown as JSONObject,
    subscriptions,
    inputs,
    batch: { size: 50, bytes: 4_000_000 },
    concurrency: 3,
    retry: { maxAttempts: 20, baseDelayMs: 5, maxDelayMs: 100 },
    deadLetterPath: path.join(dir, 'dead-letters.ndjson'),
    ...overrides
  }
}

export const runBackfill = (options: BackfillOptions) => new Backfill(options).run()

/** orderId → how many times it reached the simulator's order event. */
export function arrivals(simulator: RunningSimulator): Map<string, number> {
  const counts = new Map<string, number>()
  for (const entry of simulator.state.journal) {
    if (entry.eventUID !== ORDER_EVENT.eventUID) continue
    counts.set(entry.dataFields.orderId, (counts.get(entry.dataFields.orderId) ?? 0) + 1)
  }
  return counts
}

export function readDeadLetters(file: string): {
  deadLetter: { where: string; seq: number; subscription: string | null; status: number | null; reason: string }
  raw?: string
  rawBase64?: string
}[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as never)
}

/**
 * Writes the checkpoint a crashed run of `options` would have left: every record up to `seq` of the one
 * input finished, and the given records beyond it, wholly or for some subscriptions.
 */
export async function writeCheckpoint(
  options: BackfillOptions,
  state: {
    seq: number
    finishedAfter?: [number, number][]
    partlyFinished?: [number, number, string[]][]
    counts: LedgerCounts
  }
): Promise<void> {
  const [input] = options.inputs
  let prefix = 0
  for await (const records of readRecords([{ path: input }], { maxLineBytes: 1 << 20 })) {
    for (const record of records) {
      if (record.seq > state.seq) continue
      prefix = addChecksum(prefix, checksumOf(record))
    }
  }
  const checkpoint = {
    version: 4,
    runId: 'crashed-run',
    identity: {
      mode: 'real',
      configuration: configurationHash(
        new Destination(definitionOf(options.source)),
        options.settings,
        options.subscriptions
      ),
      inputs: [await inputIdentity(input)]
    },
    position: state.seq > 0 ? { input: 0, seq: state.seq } : null,
    prefix: [prefix],
    finishedAfter: state.finishedAfter ?? [],
    partlyFinished: state.partlyFinished ?? [],
    inFlight: 8,
    counts: state.counts,
    complete: false,
    updatedAt: 'then'
  }
  writeFileSync(options.checkpointPath as string, JSON.stringify(checkpoint))
}

const definitionOf = (source: DestinationSource) =>
  'recipe' in source ? definitionFrom(source.recipe) : source.definition
