import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Writes examples/backfill.json to `file`, pointed at a simulator through its `endpoints`, with `overrides` on top. */
export function writeExampleConfig(
  file: string,
  simulator: { apiUrl: string; tokenUrl: string },
  overrides: Record<string, unknown>
): string {
  const example = JSON.parse(readFileSync(path.join(__dirname, '..', 'examples', 'backfill.json'), 'utf8')) as Record<
    string,
    unknown
  >
  const endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
  writeFileSync(file, JSON.stringify({ ...example, endpoints, ...overrides }))
  return file
}
