import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'

const root = path.join(__dirname, '..', '..')
/** The built CLI (jest's global setup builds it when a source is newer): a start takes a fraction of ts-node's. */
const nodeArgs = [path.join(root, 'dist', 'src', 'cli', 'main.js')]

export interface CliRun {
  status: number | null
  stdout: string
  stderr: string
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...nodeArgs, ...args], { cwd: root, env: { ...process.env, ...env } })
}

/**
 * Runs `listrak ...` as a real child process. Asynchronous on purpose: the
 * simulator it talks to runs in this process and must keep answering while the child runs.
 */
export async function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}
): Promise<CliRun> {
  const child = spawnCli(args, options.env)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin.end(options.input ?? '')
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { status, stdout, stderr }
}
