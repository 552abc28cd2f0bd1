import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { waitFor } from './helpers'

/** A free loopback port: one the system gave and took back. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface TestRedis {
  url: string
  /** Stops the server (the data goes with it: nothing is saved). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
}

/** A real redis-server (Debian's package) on a free loopback port, without persistence. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    let output = ''
    const started = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no'
    ])
    child = started
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    started.on(
      'error',
      (error) => (output += `\n${error.message}: install redis-server (apt-get install redis-server)`)
    )
    await waitFor(() => {
      if (started.exitCode !== null || /ENOENT/.test(output)) throw new Error(`redis-server did not start: ${output}`)
      return output.includes('Ready to accept connections')
    }, 'redis-server to accept connections')
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}
