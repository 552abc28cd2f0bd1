// Builds dist/ before the tests when a source is newer than it: the tests that need a real process (signals,
// stdin, exit codes, worker threads) run the built CLI, which starts in a fraction of ts-node's time.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const root = path.join(__dirname, '..')

function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) latest = Math.max(latest, newest(full))
    else if (/\.(ts|json)$/.test(entry.name)) latest = Math.max(latest, statSync(full).mtimeMs)
  }
  return latest
}

export default function globalSetup(): void {
  let builtAt = 0
  try {
    builtAt = statSync(path.join(root, 'dist', 'src', 'cli', 'main.js')).mtimeMs
  } catch {
    // not built yet
  }
  const sources = Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'destinations')))
  if (sources > builtAt) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit'
    })
  }
}
