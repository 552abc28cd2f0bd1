import { hostname } from 'node:os'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { ConfigError } from '../../instance'

/** What a lock file says: the process that holds it. */
interface Holder {
  pid: number
  host: string
  since: string
}

/**
 * One run at a time per output: `FILE.lock` next to a run's checkpoint and dead-letter file, holding
 * the pid and host of the run that uses them. A lock whose process is gone (killed, crashed, a second
 * Ctrl-C) is taken over; one held by a live process, or by another host that cannot be asked, is
 * refused before anything is read or sent.
 */
export class FileLock {
  private constructor(readonly path: string) {}

  /** `what` names the file in the message: `the checkpoint cp.json`. */
  static async acquire(file: string, what: string): Promise<FileLock> {
    const lock = new FileLock(`${file}.lock`)
    const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
    // Written whole to a file of our own, then linked into place: link fails if the lock exists, and
    // a lock file is never seen half written.
    const own = `${lock.path}.${process.pid}`
    await writeFile(own, `${JSON.stringify(holder)}\n`)
    try {
      for (;;) {
        try {
          await link(own, lock.path)
          return lock
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        }
        const text = await readFile(lock.path, 'utf8').catch(() => undefined)
        // Released in the meantime: try again.
        if (text === undefined) continue
        const other = parseHolder(text)
        if (other && isAlive(other)) throw new ConfigError(inUse(file, what, other, lock.path))
        // The process that held it is gone: take it over, unless another run took it over meanwhile.
        if ((await readFile(lock.path, 'utf8').catch(() => undefined)) === text) await unlink(lock.path).catch(() => {})
      }
    } finally {
      await unlink(own).catch(() => {})
    }
  }

  async release(): Promise<void> {
    await unlink(this.path).catch(() => {})
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>
    return typeof value.pid === 'number' && typeof value.host === 'string'
      ? { pid: value.pid, host: value.host, since: String(value.since) }
      : undefined
  } catch {
    return undefined
  }
}

/** A process of another host cannot be asked: taken to be alive, so that a shared folder is never written twice. */
function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function inUse(file: string, what: string, holder: Holder, lockPath: string): string {
  const where = holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`
  const gone = holder.host === hostname() ? '' : ` If that run is gone, delete ${lockPath}.`
  const subject = `${what.charAt(0).toUpperCase()}${what.slice(1)}`
  return `${subject} ${file} is in use by another backfill (${where}, since ${holder.since}): one run at a time writes it. Wait for that run to finish or stop it with Ctrl-C, or give this run its own --checkpoint and --dead-letter.${gone} Nothing was sent.`
}
