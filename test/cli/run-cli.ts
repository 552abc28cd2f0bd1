import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcessWithoutNullStreams, SpawnSyncReturns } from 'node:child_process'
import path from 'node:path'

const root = path.join(__dirname, '..', '..')
const nodeArgs = ['-r', 'ts-node/register/transpile-only', path.join(root, 'src', 'cli', 'main.ts')]

/** Runs `listrak ...` from the sources, as a real child process. */
export function runCli(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {}
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, ...options.env },
    timeout: 60_000
  })
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...nodeArgs, ...args], { cwd: root, env: { ...process.env, ...env } })
}
