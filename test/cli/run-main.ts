import { main } from '../../src/cli/main'
import type { CliRun } from './run-cli'

/**
 * Runs `listrak ...` in this process: main() with stdout and stderr captured and `env` set for the run.
 * The simulator a test talks to runs in this process too, over real sockets.
 */
export async function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
  Object.assign(process.env, env)
  let stdout = ''
  let stderr = ''
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true))
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true))
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
