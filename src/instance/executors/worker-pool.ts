import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { RunFailure } from '../preflight'
import type { Route } from '../routes'
import type { BatchResult, Executor, Sendable } from './executor'
import { pack } from './packing'
import type { WorkerInit, WorkerRequest, WorkerResponse } from './protocol'

interface Pending {
  resolve(response: WorkerResponse): void
  reject(error: Error): void
}

/** The worker's script beside this one; run from the TypeScript sources (tests), it needs ts-node too. */
function workerScript(): { file: string; execArgv: string[] } {
  const extension = path.extname(__filename)
  const file = path.join(__dirname, `worker${extension}`)
  return { file, execArgv: extension === '.ts' ? ['--require', 'ts-node/register/transpile-only'] : [] }
}

/**
 * A worker's young generation (V8's default lets it grow to 48 MB, 32 of them the new space): 12 MB keeps
 * 8 MB of new space, about 23 MB less RSS a worker for ~1 µs an event of CPU (README, "Performance").
 */
const WORKER_YOUNG_GENERATION_MB = 12

/** Worker threads that run onBatch, each with its own Destination; a batch goes to the one with the fewest in hand. */
export class WorkerPool implements Executor {
  readonly parsesText = true
  private readonly workers: { worker: Worker; pending: Map<number, Pending> }[]
  private nextId = 0
  private failure: Error | undefined

  constructor(count: number, init: WorkerInit) {
    const { file, execArgv } = workerScript()
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(file, {
        workerData: init,
        execArgv,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB }
      })
      const pending = new Map<number, Pending>()
      worker.on('message', (response: WorkerResponse) => {
        const waiting = pending.get(response.id)
        pending.delete(response.id)
        if (!waiting) return
        if ('error' in response) {
          const { name, message } = response.error
          waiting.reject(name === 'RunFailure' ? new RunFailure(message) : new Error(message))
        } else waiting.resolve(response)
      })
      const fail = (error: Error) => {
        this.failure ??= new RunFailure(`A worker thread failed: ${error.message}`)
        for (const waiting of pending.values()) waiting.reject(this.failure)
        pending.clear()
      }
      worker.on('error', fail)
      worker.on('exit', (code) => code !== 0 && fail(new Error(`it exited with code ${code}`)))
      return { worker, pending }
    })
  }

  async send(route: Route, batch: readonly Sendable[]): Promise<BatchResult> {
    const events = pack(batch.map((item) => item.json ?? Buffer.from(JSON.stringify(item.event))))
    return (await this.request({ kind: 'send', id: this.nextId++, route: route.index, events })) as BatchResult
  }

  async prepare(inputs: readonly unknown[]): Promise<unknown[]> {
    const response = await this.request({ kind: 'prepare', id: this.nextId++, inputs: inputs as unknown[] })
    return (response as { prepared: unknown[] }).prepared
  }

  /** Hands the request to the worker with the fewest in hand. */
  private request(request: WorkerRequest): Promise<WorkerResponse> {
    if (this.failure) return Promise.reject(this.failure)
    const least = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a))
    return new Promise((resolve, reject) => {
      least.pending.set(request.id, { resolve, reject })
      least.worker.postMessage(request)
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }
}
