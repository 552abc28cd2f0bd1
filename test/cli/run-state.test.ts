import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { exportLines } from '../../scripts/sample-export'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { arrivals, readDeadLetters, subscriptions, workDir, writeExport } from '../backfill/fixtures'
import { credentialsEnv, json, ORDER_EVENT, startLocalServer, waitFor } from '../helpers'
import { runCli, spawnCli } from './run-cli'
import { runMain } from './run-main'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  simulator = await startSimulator({ config: { faults: { latencyMs: 5 } } })
  env = credentialsEnv(simulator)
})
afterAll(() => simulator.close())
beforeEach(() => simulator.state.journal.splice(0))

const instance = subscriptions.map(({ key: _key, ...subscription }) => subscription)

function writeConfig(dir: string, extra: Record<string, unknown> = {}, name = 'backfill.json'): string {
  const file = path.join(dir, name)
  const endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
  writeFileSync(file, JSON.stringify({ endpoints, subscriptions: instance, batching: { size: 50 }, ...extra }))
  return file
}

const backfill = (dir: string, args: string[], input?: string) =>
  runCli(['backfill', '--quiet', '--dead-letter', path.join(dir, 'dl.ndjson'), ...args], { env, input })

describe("a run's identity", () => {
  it("refuses a new day's export written under yesterday's name, sending nothing", async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 40)
    const checkpoint = path.join(dir, 'cp.json')
    const config = writeConfig(dir)
    expect((await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])).status).toBe(0)
    expect(simulator.state.journal).toHaveLength(40)

    writeFileSync(file, `${[...exportLines({ count: 60, seed: 99 })].join('\n')}\n`)
    const again = await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(
      /is not the file it was written for .*a new export under the same name\? Another run\? Give it its own --checkpoint .* add --restart/
    )
    expect(simulator.state.journal).toHaveLength(40)

    // --restart sends the new export; the same file again is then "nothing to do".
    expect((await backfill(dir, ['--restart', '--checkpoint', checkpoint, '--config', config, file])).status).toBe(0)
    expect(simulator.state.journal).toHaveLength(100)
    const rerun = await runCli(['backfill', '--checkpoint', checkpoint, '--config', config, file], { env })
    expect(rerun.stdout).toMatch(/Nothing to do/)
    expect(simulator.state.journal).toHaveLength(100)
  })

  it('keeps the dead letters of a run started over with --restart: they are moved aside, never replaced', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 20, { 4: '{"broken":', 9: '{"broken": 9' })
    const checkpoint = path.join(dir, 'cp.json')
    const deadLetters = path.join(dir, 'dl.ndjson')
    const args = ['backfill', '--checkpoint', checkpoint, '--dead-letter', deadLetters, '--config', writeConfig(dir)]
    expect((await runMain([...args, file], env)).status).toBe(3)
    const earlier = readFileSync(deadLetters, 'utf8')

    writeExport(dir, 20, { 2: '{"broken": 2' })
    expect((await runMain([...args, file], env)).status).toBe(2)
    const restarted = await runMain(['backfill', '--restart', ...args.slice(1), file], env)
    expect(restarted.status).toBe(3)
    const moved = /the 2 dead letters of the run started over were moved to (\S+): replay or delete it/.exec(
      restarted.stdout
    )?.[1]
    expect(moved).toMatch(/dl\.replaced-[\dT-]+Z\.ndjson$/)
    expect(readFileSync(moved as string, 'utf8')).toBe(earlier)
    expect(readDeadLetters(deadLetters).map((letter) => letter.deadLetter.where)).toEqual(['line 2'])
  })

  it('reads a completed run again before saying there is nothing to do: a change inside the file is refused', async () => {
    const dir = workDir()
    // Over 2 MB: its first and last megabyte leave a middle that only reading it again can check.
    const { file } = writeExport(dir, 3000)
    const checkpoint = path.join(dir, 'cp.json')
    const config = writeConfig(dir, { batching: { size: 1000 } })
    expect((await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])).status).toBe(0)
    // The same size, the same first and last megabyte: one order id changed in the middle.
    const text = readFileSync(file, 'utf8')
    const at = text.indexOf('ORD-', text.length / 2) + 4
    writeFileSync(file, `${text.slice(0, at)}${text[at] === '9' ? '8' : '9'}${text.slice(at + 1)}`)
    const again = await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/does not hold the records the checkpoint covers/)
    expect(simulator.state.journal).toHaveLength(3000)
  })

  it('takes ./export.ndjson for export.ndjson, and refuses a checkpoint of another configuration', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 10)
    const checkpoint = path.join(dir, 'cp.json')
    expect((await backfill(dir, ['--checkpoint', checkpoint, '--config', writeConfig(dir), file])).status).toBe(0)
    const relative = `./${path.relative(path.join(__dirname, '..', '..'), file)}`
    const same = await runCli(['backfill', '--checkpoint', checkpoint, '--config', writeConfig(dir), relative], { env })
    expect(same.stdout).toMatch(/Nothing to do/)

    const other = writeConfig(dir, { subscriptions: instance.slice(0, 1) }, 'other.json')
    const refused = await backfill(dir, ['--checkpoint', checkpoint, '--config', other, file])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/written for other subscriptions \(their names, triggers or mappings differ\)/)
    expect(simulator.state.journal).toHaveLength(10)
  })

  it('checks on stdin that the records a resume skips are the ones the checkpoint covered', async () => {
    const dir = workDir()
    const { lines } = writeExport(dir, 30)
    const checkpoint = path.join(dir, 'cp.json')
    const config = writeConfig(dir)
    expect(
      (await backfill(dir, ['--checkpoint', checkpoint, '--config', config], `${lines.join('\n')}\n`)).status
    ).toBe(0)
    const same = await runCli(['backfill', '--checkpoint', checkpoint, '--config', config], {
      env,
      input: `${lines.join('\n')}\n`
    })
    expect(same.stdout).toMatch(/Nothing to do/)
    // The same records and more: the new ones are sent, the others are not sent again.
    const more = [...exportLines({ count: 5, seed: 4321 })]
    const longer = await backfill(
      dir,
      ['--checkpoint', checkpoint, '--config', config],
      `${[...lines, ...more].join('\n')}\n`
    )
    expect(longer.status).toBe(0)
    expect(simulator.state.journal).toHaveLength(35)
    const other = [...exportLines({ count: 30, seed: 1234 })].join('\n')
    const refused = await backfill(dir, ['--checkpoint', checkpoint, '--config', config], other)
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/stdin does not hold the records the checkpoint covers/)
    expect(simulator.state.journal).toHaveLength(35)
  })

  it('keeps a dry run apart: it never completes a real run, and the real run sends everything', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 20)
    const checkpoint = path.join(dir, 'cp.json')
    const config = writeConfig(dir)
    const payloads = path.join(dir, 'payloads.ndjson')
    const dry = await runCli(
      [
        'backfill',
        '--quiet',
        '--dry-run',
        '--payloads',
        payloads,
        '--checkpoint',
        checkpoint,
        '--config',
        config,
        file
      ],
      { env, input: '' }
    )
    expect(dry.status).toBe(0)
    expect(existsSync(path.join(__dirname, '..', '..', 'listrak-dead-letters.dry-run.ndjson'))).toBe(false)
    const real = await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])
    expect(real.status).toBe(2)
    expect(real.stderr).toMatch(/belongs to a dry run, and this is a real run/)
    expect(simulator.state.journal).toHaveLength(0)
    const own = await backfill(dir, ['--checkpoint', path.join(dir, 'real.json'), '--config', config, file])
    expect(own.status).toBe(0)
    expect(simulator.state.journal).toHaveLength(20)
  })
})

describe('one run at a time per checkpoint and dead-letter file', () => {
  // Another live process holds the locks: the built CLI (npm run build first), reading a stdin kept open.
  it('refuses a second run while the first holds the lock, and takes over the lock a killed run left', async () => {
    const dir = workDir()
    const { file, lines } = writeExport(dir, 40)
    const config = writeConfig(dir)
    const checkpoint = path.join(dir, 'cp.json')
    const deadLetters = path.join(dir, 'dl.ndjson')
    const first = spawnCli(
      ['backfill', '--quiet', '--checkpoint', checkpoint, '--dead-letter', deadLetters, '--config', config, '-'],
      env
    )
    const exited = once(first, 'exit')
    // Whatever happens, the child does not outlive the test.
    const killed = setTimeout(() => first.kill('SIGKILL'), 25_000)
    first.stdin.write(`${lines.slice(0, 20).join('\n')}\n`)
    await waitFor(() => simulator.state.journal.length === 20, 'the first run to send what it was given', 20_000, {
      child: first
    })
    expect(existsSync(`${checkpoint}.lock`)).toBe(true)

    const second = await runMain(
      [
        'backfill',
        '--checkpoint',
        checkpoint,
        '--dead-letter',
        path.join(dir, 'other.ndjson'),
        '--config',
        config,
        file
      ],
      env
    )
    expect(second.status).toBe(2)
    expect(second.stderr).toContain(
      `The checkpoint ${checkpoint} is in use by another backfill (process ${first.pid}, since `
    )
    expect(second.stderr).toMatch(/one run at a time writes it\. .* Nothing was sent\.\n/)
    const third = await runMain(
      ['backfill', '--checkpoint', path.join(dir, 'cp2.json'), '--dead-letter', deadLetters, '--config', config, file],
      env
    )
    expect(third.status).toBe(2)
    expect(third.stderr).toContain(
      `The dead-letter file ${deadLetters} is in use by another backfill (process ${first.pid}`
    )
    expect(simulator.state.journal).toHaveLength(20)

    // Killed, it leaves its locks behind: the next run takes them over, and releases them when done.
    first.kill('SIGKILL')
    await exited
    clearTimeout(killed)
    expect(JSON.parse(readFileSync(`${checkpoint}.lock`, 'utf8'))).toMatchObject({ pid: first.pid })
    const after = await runMain(
      ['backfill', '--restart', '--checkpoint', checkpoint, '--dead-letter', deadLetters, '--config', config, file],
      env
    )
    expect(after.stderr).not.toMatch(/in use/)
    expect(after.status).toBe(0)
    expect(simulator.state.journal).toHaveLength(60)
    expect(existsSync(`${checkpoint}.lock`)).toBe(false)
    expect(existsSync(`${deadLetters}.lock`)).toBe(false)
  })
})

describe('dead letters of one run', () => {
  it("never appends to another run's file, replays each to its subscription once, and refuses to write the file it reads", async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 20, {
      4: '{"broken":',
      9: '{"type":"track","event":"Order Completed","properties":{"order_id":"NOID"}}'
    })
    const config = writeConfig(dir)
    const deadLetters = path.join(dir, 'dl.ndjson')
    expect((await backfill(dir, ['--config', config, file])).status).toBe(3)
    expect(readDeadLetters(deadLetters)).toHaveLength(2)

    const second = await backfill(dir, ['--config', config, file])
    expect(second.status).toBe(2)
    expect(second.stderr).toMatch(/holds dead letters of another run/)
    expect(readDeadLetters(deadLetters)).toHaveLength(2)

    const sameFile = await runCli(['backfill', '--config', config, '--dead-letter', deadLetters, deadLetters], { env })
    expect(sameFile.status).toBe(2)
    expect(sameFile.stderr).toMatch(/is also an input of this run/)

    // Fixed by hand: the event gets an email. Replayed, it goes to the Orders subscription alone.
    const fixed = path.join(dir, 'fixed.ndjson')
    writeFileSync(
      fixed,
      readFileSync(deadLetters, 'utf8').replace(
        '"order_id\\":\\"NOID\\"}',
        '"order_id\\":\\"NOID\\"},\\"context\\":{\\"traits\\":{\\"email\\":\\"n@example.com\\"}}'
      )
    )
    const before = simulator.state.journal.length
    const replay = await runCli(
      ['backfill', '--config', config, '--dead-letter', path.join(dir, 'retry.ndjson'), fixed],
      { env }
    )
    expect(replay.status).toBe(3) // the broken line stays broken
    expect(simulator.state.journal.slice(before).map((entry) => [entry.eventUID, entry.dataFields.orderId])).toEqual([
      [ORDER_EVENT.eventUID, 'NOID']
    ])
  })

  it('refuses, before sending anything, dead letters whose subscription the configuration does not have', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 10, {
      3: '{"type":"track","event":"Order Completed","properties":{"order_id":"NOID"}}',
      6: '{"type":"track","event":"Order Completed","properties":{"order_id":"NOID2"}}'
    })
    const deadLetters = path.join(dir, 'dl.ndjson')
    const run = ['backfill', '--quiet', '--dead-letter']
    expect((await runMain([...run, deadLetters, '--config', writeConfig(dir), file], env)).status).toBe(3)
    expect(readDeadLetters(deadLetters).map((letter) => letter.deadLetter.subscription)).toEqual(['Orders', 'Orders'])
    simulator.state.journal.splice(0)

    // mapping init names subscriptions after the event configuration: "Orders" is now "Order Placed".
    const renamed = instance.map((subscription) =>
      subscription.name === 'Orders' ? { ...subscription, name: 'Order Placed' } : subscription
    )
    const config = writeConfig(dir, { subscriptions: renamed }, 'renamed.json')
    const retry = path.join(dir, 'retry.ndjson')
    const replay = await runMain([...run, retry, '--config', config, deadLetters], env)
    expect(replay.status).toBe(2)
    expect(replay.stderr).toContain(
      'Dead letters name subscriptions the configuration does not have: "Orders" (2 letters); it has "Order Placed", "Product views", "Sign-ups".'
    )
    expect(replay.stderr).toMatch(/Nothing was sent\.\n/)
    expect(simulator.state.journal).toHaveLength(0)
    expect(existsSync(retry)).toBe(false)
  })

  it('keeps where a replayed event first came from when it is rejected again', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 10, {
      7: '{"type":"track","event":"Order Completed","properties":{"order_id":"NOID"}}'
    })
    const config = writeConfig(dir)
    const deadLetters = path.join(dir, 'dl.ndjson')
    const again = path.join(dir, 'again.ndjson')
    const twice = path.join(dir, 'twice.ndjson')
    expect(
      (await runMain(['backfill', '--quiet', '--config', config, '--dead-letter', deadLetters, file], env)).status
    ).toBe(3)
    expect(
      (await runMain(['backfill', '--quiet', '--config', config, '--dead-letter', again, deadLetters], env)).status
    ).toBe(3)
    expect(
      (await runMain(['backfill', '--quiet', '--config', config, '--dead-letter', twice, again], env)).status
    ).toBe(3)
    for (const [letters, replayed] of [
      [again, deadLetters],
      [twice, again]
    ]) {
      expect(readDeadLetters(letters)).toMatchObject([
        {
          deadLetter: {
            file,
            where: 'line 7',
            seq: 7,
            subscription: 'Orders',
            replayedFrom: { file: replayed, where: 'line 1' }
          }
        }
      ])
    }
  })

  it('keeps a line that is not UTF-8 byte for byte, and a replay never sends it altered', async () => {
    const dir = workDir()
    const file = path.join(dir, 'export.ndjson')
    const good = [...exportLines({ count: 2, seed: 3 })]
    const bad = Buffer.concat([
      Buffer.from('{"type":"track","event":"Order Completed","context":{"traits":{"email":"b'),
      Buffer.from([0xe9]),
      Buffer.from('@example.com"}},"properties":{"order_id":"LATIN1"}}')
    ])
    writeFileSync(file, Buffer.concat([Buffer.from(`${good[0]}\n`), bad, Buffer.from(`\n${good[1]}\n`)]))
    const config = writeConfig(dir)
    expect((await backfill(dir, ['--config', config, file])).status).toBe(3)
    const [letter] = readDeadLetters(path.join(dir, 'dl.ndjson'))
    expect(Buffer.from(letter.rawBase64 ?? '', 'base64').equals(bad)).toBe(true)
    const replay = await runCli(
      ['backfill', '--config', config, '--dead-letter', path.join(dir, 'again.ndjson'), path.join(dir, 'dl.ndjson')],
      { env }
    )
    expect(replay.status).toBe(3)
    expect(simulator.state.journal.map((entry) => entry.dataFields.orderId)).not.toContain('LATIN1')
    const [again] = readDeadLetters(path.join(dir, 'again.ndjson'))
    expect(Buffer.from(again.rawBase64 ?? '', 'base64').equals(bad)).toBe(true)
  })
})

describe('outputs are checked before anything is sent', () => {
  it.each([
    ['--dead-letter', 'the dead-letter file'],
    ['--checkpoint', 'the checkpoint'],
    ['--report', 'the report']
  ])('%s in a folder that does not exist: exit 2, nothing sent', async (option, what) => {
    const dir = workDir()
    const { file } = writeExport(dir, 5)
    const missing = path.join(dir, 'no-such-folder', 'out.json')
    const args = ['backfill', '--config', writeConfig(dir), option, missing, file]
    if (option !== '--dead-letter') args.push('--dead-letter', path.join(dir, 'dl.ndjson'))
    const run = await runCli(args, { env })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(
      `Cannot write ${what} ${missing}: the folder ${path.dirname(missing)} does not exist. Nothing was sent.`
    )
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/) // no stack trace
    expect(simulator.state.journal).toHaveLength(0)
  })
})

describe('outputs never share a file', () => {
  it('refuses a checkpoint that is the dead-letter file', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 5)
    const same = path.join(dir, 'state.json')
    const run = await runCli(
      ['backfill', '--config', writeConfig(dir), '--checkpoint', same, '--dead-letter', same, file],
      {
        env
      }
    )
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/the checkpoint and the dead-letter file are the same file/)
    expect(simulator.state.journal).toHaveLength(0)
  })
})

describe('failures of the whole run stop it', () => {
  it('stops at the first batch when the API refuses every request with a 404, dead-lettering nothing, and resumes later', async () => {
    let down = true
    const server = await startLocalServer((request, response) => {
      if (request.url.endsWith('/OAuth2/Token'))
        return json(response, 200, { access_token: 't', token_type: 'Bearer', expires_in: 600 })
      if (request.url.endsWith('/eventConfigurations'))
        return json(response, 200, {
          status: 200,
          data: [{ eventUID: ORDER_EVENT.eventUID, eventName: 'Order Placed' }]
        })
      if (request.method === 'GET')
        return json(response, 200, {
          status: 200,
          data: {
            eventUID: ORDER_EVENT.eventUID,
            eventName: 'Order Placed',
            eventSchemaAttrs: ORDER_EVENT.eventSchemaAttrs
          }
        })
      if (down) return json(response, 404, { status: 404, message: 'Entity Not Found' })
      json(response, 200, { status: 200, data: [] })
    })
    try {
      const dir = workDir()
      const { file } = writeExport(dir, 120)
      const config = path.join(dir, 'local.json')
      writeFileSync(
        config,
        JSON.stringify({
          endpoints: { apiUrl: `${server.url}/crosschannel/v1`, tokenUrl: `${server.url}/OAuth2/Token` },
          subscriptions: instance.slice(0, 1),
          batching: { size: 50 },
          concurrency: 1
        })
      )
      const checkpoint = path.join(dir, 'cp.json')
      const first = await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])
      expect(first.status).toBe(1)
      expect(first.stderr).toMatch(
        /stopped: subscription "Orders": .*404.*The run stopped; nothing was dead-lettered for it/
      )
      expect(existsSync(path.join(dir, 'dl.ndjson'))).toBe(false)
      expect(
        server.requests.filter((request) => request.method === 'POST' && !request.url.endsWith('Token'))
      ).toHaveLength(1)
      down = false
      const second = await backfill(dir, ['--checkpoint', checkpoint, '--config', config, file])
      expect(second.status).toBe(0)
    } finally {
      await server.close()
    }
  })

  it('stops without dead letters when the API cannot be reached, naming it', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 10)
    const config = writeConfig(dir, {
      endpoints: { apiUrl: 'http://127.0.0.1:9/crosschannel/v1', tokenUrl: simulator.tokenUrl }
    })
    const run = await backfill(dir, ['--config', config, file])
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/127\.0\.0\.1:9/)
    expect(existsSync(path.join(dir, 'dl.ndjson'))).toBe(false)
  })
})

describe('crash semantics', () => {
  it('after SIGKILLs close together and far apart, repeats per kill stay within concurrency x batch size, and repeated messageIds are sent once', async () => {
    const dir = workDir()
    const lines = [...exportLines({ count: 3000, seed: 77 })]
    // Repeats of early events, well after the kills: the resumed runs must still know their messageIds.
    lines[1499] = lines[9]
    lines[2949] = lines[19]
    lines[2500] = lines[1200]
    // Unreadable lines: dead-lettered once each, however the kills fall.
    for (const at of [380, 420, 700, 1800, 2210]) lines[at] = `{"broken": ${at}`
    const file = path.join(dir, 'export.ndjson')
    writeFileSync(file, `${lines.join('\n')}\n`)
    const concurrency = 4
    const batchSize = 50
    const config = writeConfig(dir, { concurrency, batching: { size: batchSize } })
    const checkpoint = path.join(dir, 'cp.json')
    const orderOf = (line: string) => (JSON.parse(line) as { properties: { order_id: string } }).properties.order_id
    const orderIds = new Set(lines.filter((line) => !line.startsWith('{"broken"')).map(orderOf))

    const args = ['--checkpoint', checkpoint, '--config', config, '--dead-letter', path.join(dir, 'dl.ndjson'), file]
    // Where each run's arrivals start in the journal: runs 2, 3 and 4 resume after a kill.
    const starts: number[] = []
    for (const killAt of [400, 550, 2200]) {
      starts.push(simulator.state.journal.length)
      const child = spawnCli(['backfill', '--quiet', ...args], env)
      const exited = once(child, 'exit')
      await waitFor(() => simulator.state.journal.length >= killAt, `${killAt} events to arrive`, 20_000, {
        child,
        everyMs: 2
      })
      child.kill('SIGKILL')
      expect(await exited).toEqual([null, 'SIGKILL'])
    }
    starts.push(simulator.state.journal.length)
    expect((await backfill(dir, args.slice(0, -3).concat(file))).status).toBe(3)
    const letters = readDeadLetters(path.join(dir, 'dl.ndjson'))
    expect(letters.map((letter) => letter.deadLetter.seq).sort((a, b) => a - b)).toEqual([381, 421, 701, 1801, 2211])
    starts.push(simulator.state.journal.length)

    const journal = simulator.state.journal.map((entry) => entry.dataFields.orderId)
    const repeatsAfterKill = [1, 2, 3].map((run) => {
      const earlier = new Set(journal.slice(0, starts[run]))
      return journal.slice(starts[run], starts[run + 1]).filter((id) => earlier.has(id)).length
    })
    const counts = arrivals(simulator)
    expect(new Set(counts.keys())).toEqual(orderIds)
    // The resume after each kill may send again what was in flight at it, and no more.
    for (const repeats of repeatsAfterKill) expect(repeats).toBeLessThanOrEqual(concurrency * batchSize)
    for (const planted of [9, 19, 1200]) expect(counts.get(orderOf(lines[planted]))).toBe(1)
  })
})
