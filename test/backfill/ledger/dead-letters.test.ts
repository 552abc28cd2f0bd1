import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DeadLetterWriter } from '../../../src/backfill/ledger/dead-letters'
import type { NewDeadLetter } from '../../../src/backfill/ledger/dead-letters'
import { ConfigError } from '../../../src/instance'
import { workDir } from '../fixtures'

const letter = (seq: number): NewDeadLetter => ({
  deadLetter: {
    file: 'in.ndjson',
    where: `line ${seq}`,
    seq,
    subscription: 'Orders',
    status: 400,
    reason: 'bad',
    at: 'now'
  },
  raw: `{"n":${seq}}`
})

const failOnError = (error: Error) => {
  throw error
}

/** Writes `letters` as run `run` would, to `file`. */
async function writeAs(file: string, run: string, letters: NewDeadLetter[]): Promise<void> {
  const writer = await DeadLetterWriter.open(file, { id: run }, failOnError)
  for (const each of letters) writer.write(each)
  await writer.close()
}

const runsIn = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { deadLetter: { run: string; seq: number } }).deadLetter)

describe('DeadLetterWriter.open', () => {
  it('takes a new file, creating it only with the first letter, each line naming its run', async () => {
    const file = path.join(workDir(), 'dl.ndjson')
    const writer = await DeadLetterWriter.open(file, { id: 'run-1' }, failOnError)
    await writer.flush()
    expect(existsSync(file)).toBe(false)
    writer.write(letter(1))
    await writer.close()
    expect(runsIn(file)).toEqual([expect.objectContaining({ run: 'run-1', seq: 1 })])
  })

  it('takes an empty file', async () => {
    const file = path.join(workDir(), 'dl.ndjson')
    writeFileSync(file, '')
    await writeAs(file, 'run-1', [letter(1)])
    expect(runsIn(file)).toHaveLength(1)
  })

  it("continues its own run's file on a resume, not writing again the letters written before the crash", async () => {
    const file = path.join(workDir(), 'dl.ndjson')
    await writeAs(file, 'run-1', [letter(1), letter(2)])
    const resumed = await DeadLetterWriter.open(file, { id: 'run-1', resumes: 'run-1' }, failOnError)
    for (const seq of [1, 2, 3]) resumed.write(letter(seq))
    await resumed.close()
    expect(runsIn(file).map((each) => each.seq)).toEqual([1, 2, 3])
  })

  it('moves the file of the run it replaces aside, keeping its letters, and starts a new one', async () => {
    const dir = workDir()
    const file = path.join(dir, 'dl.ndjson')
    await writeAs(file, 'run-1', [letter(1), letter(2)])
    const writer = await DeadLetterWriter.open(file, { id: 'run-2', replaces: 'run-1' }, failOnError)
    expect(writer.earlier).toEqual({ path: expect.stringMatching(/dl\.replaced-[\dT-]+Z\.ndjson$/), letters: 2 })
    expect(existsSync(file)).toBe(false)
    expect(runsIn(writer.earlier?.path ?? '')).toHaveLength(2)
    expect(readdirSync(dir)).toHaveLength(1)
  })

  it.each([
    ['another run', (file: string) => writeAs(file, 'run-1', [letter(1)]), { id: 'run-2', resumes: 'run-0' }],
    [
      'no run of this tool',
      (file: string) => Promise.resolve(writeFileSync(file, '{"some":"other file"}\n')),
      { id: 'run-2', replaces: 'run-1' }
    ]
  ])('refuses a file written by %s, leaving it as it was', async (_writer, write, run) => {
    const file = path.join(workDir(), 'dl.ndjson')
    await write(file)
    const before = readFileSync(file, 'utf8')
    const opening = DeadLetterWriter.open(file, run, failOnError)
    await expect(opening).rejects.toThrow(ConfigError)
    await expect(opening).rejects.toThrow(/holds dead letters of another run, and a run never appends to another's/)
    expect(readFileSync(file, 'utf8')).toBe(before)
  })
})
