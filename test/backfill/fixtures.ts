import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Destination } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { exportLines } from '../../scripts/sample-export'
import { Backfill } from '../../src/backfill'
import type { BackfillOptions } from '../../src/backfill'
import type { RunningSimulator } from '../../src/simulator'
import { definitionFor, ORDER_EVENT, settingsFor } from '../helpers'

export const workDir = (): string => mkdtempSync(path.join(tmpdir(), 'backfill-'))

/** The sample's mapping (examples/backfill.json), as the tests' subscription. */
export const subscription = (
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')) as {
    subscription: BackfillOptions['subscription']
  }
).subscription

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
    destination: new Destination(definitionFor(simulator)),
    settings: settingsFor(simulator) as unknown as JSONObject,
    subscription,
    inputs,
    batch: { size: 50, bytes: 4_000_000 },
    concurrency: 3,
    retry: { maxAttempts: 20, baseDelayMs: 5, maxDelayMs: 100 },
    deadLetterPath: path.join(dir, 'dead-letters.ndjson'),
    ...overrides
  }
}

export const runBackfill = (options: BackfillOptions) => new Backfill(options).run()

/** orderId → how many times it reached the simulator. */
export function arrivals(simulator: RunningSimulator): Map<string, number> {
  const counts = new Map<string, number>()
  for (const entry of simulator.state.journal) {
    expect(entry.eventUID).toBe(ORDER_EVENT.eventUID)
    counts.set(entry.dataFields.orderId, (counts.get(entry.dataFields.orderId) ?? 0) + 1)
  }
  return counts
}

export function readDeadLetters(
  file: string
): { deadLetter: { line: number; status: number | null; reason: string }; event?: unknown; raw?: string }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as never)
}
