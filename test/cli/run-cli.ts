import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'
import { main } from '../../src/cli/main'

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

/** Runs the built `listrak` (dist/, after `npm run build`) as a child process: for what needs another live process. */
export function spawnBuilt(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [path.join(root, 'dist', 'src', 'cli', 'main.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env }
  })
}

/** Runs `listrak ...` in this process, through the CLI's main(), with `env` added to the environment. */
export async function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
  Object.assign(process.env, env)
  let stdout = ''
  let stderr = ''
  const capture = (stream: NodeJS.WriteStream, append: (text: string) => void) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      append(String(chunk))
      return true
    })
  const out = capture(process.stdout, (text) => (stdout += text))
  const err = capture(process.stderr, (text) => (stderr += text))
  try {
    const status = await main(args)
    return { status, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}
