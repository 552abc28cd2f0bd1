/** A failure of the command line itself (unknown option, bad config): exit code 2, nothing sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface Command {
  name: string
  summary: string
  help: string
  /** Resolves to the process exit code. */
  run(argv: string[]): Promise<number>
}

export const EXIT = { ok: 0, aborted: 1, usage: 2, deadLetters: 3 } as const
