import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Claim, DeliveryMemory, MemoryLimits } from './memory'
import { DEFAULT_MEMORY_LIMITS } from './memory'

const DELIVERED = 'delivered'

/** Deletes a claim only while it is still this relay's: `KEYS[1]` holds `ARGV[1]`. */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

export interface RedisMemoryOptions {
  url: string
  limits?: MemoryLimits
  /** How long a claim holds when its relay dies before it ends (a SIGKILL): the CDP's retry may then send. */
  claimTtlMs: number
  /** Said once each time Redis goes away and once when it is back, with the URL's password left out. */
  onState(state: 'unreachable' | 'reachable', detail: string): void
  /** The keys' prefix: several relays of one instance share it. */
  prefix?: string
}

/** The URL as it may be said: its password left out. */
export function redisUrlForLogs(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'an unparsable URL'
  }
}

/**
 * The memory of delivered events in Redis, shared by every relay behind a load balancer: a claim is
 * `SET key claim NX PX`, a delivery `SET key delivered PX`. While Redis cannot be reached, every command fails
 * at once (no offline queue), so that nothing is sent without the memory; the client reconnects by itself.
 */
export class RedisMemory implements DeliveryMemory {
  private readonly client: Redis
  private readonly limits: MemoryLimits
  private readonly prefix: string
  /** This relay's claims hold this value, so that it never releases another's. */
  private readonly claimValue = `claim:${randomUUID()}`
  private reachable = false

  private constructor(private readonly options: RedisMemoryOptions) {
    this.limits = options.limits ?? DEFAULT_MEMORY_LIMITS
    this.prefix = options.prefix ?? 'listrak-relay:delivered:'
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
    })
    this.client.on('ready', () => this.changed(true, 'connected'))
    this.client.on('error', (error: Error) => this.changed(false, error.message))
    this.client.on('close', () => this.changed(false, 'the connection closed'))
  }

  /** Connects, or throws naming the URL (without its password) and the cause. */
  static async connect(options: RedisMemoryOptions): Promise<RedisMemory> {
    const memory = new RedisMemory(options)
    try {
      await memory.client.connect()
      await memory.client.ping()
    } catch (error) {
      memory.client.disconnect()
      throw new Error(`Cannot reach Redis at ${redisUrlForLogs(options.url)}: ${(error as Error).message}`)
    }
    return memory
  }

  ready(): boolean {
    return this.client.status === 'ready'
  }

  async claim(key: string): Promise<Claim> {
    const id = this.prefix + key
    if ((await this.client.set(id, this.claimValue, 'PX', this.options.claimTtlMs, 'NX')) === 'OK') return 'claimed'
    // A claim that ended between the two calls reads as in flight: the retry comes back later.
    return (await this.client.get(id)) === DELIVERED ? 'delivered' : 'in-flight'
  }

  async delivered(key: string): Promise<void> {
    await this.client.set(this.prefix + key, DELIVERED, 'PX', this.limits.ttlMs)
  }

  async release(key: string): Promise<void> {
    await this.client.eval(RELEASE_SCRIPT, 1, this.prefix + key, this.claimValue)
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect())
  }

  private changed(reachable: boolean, detail: string): void {
    if (reachable === this.reachable) return
    this.reachable = reachable
    this.options.onState(reachable ? 'reachable' : 'unreachable', detail)
  }
}
