import type { Writable } from 'node:stream'

/** One JSON line per entry. What is logged never holds an identifier value, a key or a secret. */
export type Log = (entry: Record<string, unknown>) => void

export const jsonLines =
  (stream: Writable): Log =>
  (entry) =>
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`)
