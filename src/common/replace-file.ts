import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Replaces a file's content at once: a temporary file beside it, renamed over it, so that a crash or a failed
 * write never leaves half a file. The temporary file is removed when the write fails.
 */
export async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
  try {
    await writeFile(temporary, text)
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
