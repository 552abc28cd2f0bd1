import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../../instance'

/**
 * Checks before anything is sent that a run can write `file` (`what` names it in the message): it is
 * writable if it exists, else its folder exists and is writable. Nothing is created.
 */
export async function checkWritable(file: string, what: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined)
  try {
    if (existing?.isDirectory()) throw new Error('it is a folder')
    if (existing) await access(file, constants.W_OK)
    else {
      const folder = path.dirname(path.resolve(file))
      if (!(await stat(folder).catch(() => undefined))?.isDirectory())
        throw new Error(`the folder ${folder} does not exist`)
      await access(folder, constants.W_OK)
    }
  } catch (error) {
    throw new ConfigError(`Cannot write ${what} ${file}: ${(error as Error).message}. Nothing was sent.`)
  }
}

/** A run never writes the file it reads (a dead-letter file being replayed, say). */
export function checkNotAnInput(file: string, what: string, inputs: string[]): void {
  const resolved = path.resolve(file)
  if (inputs.some((input) => input !== '-' && path.resolve(input) === resolved)) {
    throw new ConfigError(
      `${what} ${file} is also an input of this run; a run never writes the file it reads. Pass another path.`
    )
  }
}

/** Two outputs of a run never share a file (the checkpoint and the dead letters, say). */
export function checkDistinct(outputs: { path: string; what: string }[]): void {
  const seen = new Map<string, string>()
  for (const { path: file, what } of outputs) {
    const resolved = path.resolve(file)
    const other = seen.get(resolved)
    if (other)
      throw new ConfigError(`${what} and ${other} are the same file, ${file}. Pass another path for one of them.`)
    seen.set(resolved, what)
  }
}
