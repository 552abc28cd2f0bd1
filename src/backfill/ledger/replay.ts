import { ConfigError } from '../../instance'
import { readRecords } from '../reading'

const number = new Intl.NumberFormat('en-US')

/**
 * A dead letter goes back only to the subscription that rejected it. Before anything is sent, reads
 * each input file that is a dead-letter file (its first record is a dead letter) and refuses the run
 * when a letter names a subscription the configuration does not have (renamed, say): otherwise its
 * event would match nothing and be dropped without a word. stdin is checked as it is read (`check`).
 */
export async function checkReplayedSubscriptions(
  inputs: string[],
  names: string[],
  maxLineBytes: number
): Promise<void> {
  const missing = new Map<string, number>()
  for (const path of inputs) {
    if (path === '-') continue
    let first = true
    for await (const records of readRecords([{ path }], { maxLineBytes })) {
      for (const { content } of records) {
        if (content.kind === 'blank') continue
        if (first && !content.origin) break
        first = false
        if (content.kind === 'event' && content.only !== undefined && !names.includes(content.only))
          missing.set(content.only, (missing.get(content.only) ?? 0) + 1)
      }
      if (first) break
    }
  }
  if (missing.size > 0) throw new ConfigError(missingMessage(missing, names, 'Nothing was sent.'))
}

/** The same check for one dead letter read from stdin, where the events before it may have been sent. */
export function checkReplayedSubscription(only: string | undefined, names: string[]): void {
  if (only === undefined || names.includes(only)) return
  throw new ConfigError(
    missingMessage(new Map([[only, 1]]), names, 'The run stopped there; the events before it were sent.')
  )
}

function missingMessage(missing: Map<string, number>, names: string[], outcome: string): string {
  const listed = [...missing].map(
    ([name, count]) => `"${name}" (${number.format(count)} ${count === 1 ? 'letter' : 'letters'})`
  )
  return `Dead letters name subscriptions the configuration does not have: ${listed.join(', ')}; it has ${names.map((name) => `"${name}"`).join(', ')}. A dead letter goes back only to the subscription that rejected it: give the subscription its old name in the configuration, or edit deadLetter.subscription in the letters. ${outcome}`
}
