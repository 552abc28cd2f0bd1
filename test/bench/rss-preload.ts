/**
 * Loaded with `node --require` into every measured process: reports on exit its peak RSS, its CPU time (all
 * threads) and the main thread's own CPU time, read from /proc/self/task/<pid>/stat where there is one.
 */
import { readFileSync } from 'node:fs'

/** utime + stime of one thread, in microseconds; fields 14 and 15 after the command name, in clock ticks (100 Hz). */
function threadCpuUs(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

process.on('exit', () => {
  const { user, system } = process.cpuUsage()
  const main = threadCpuUs(process.pid)
  process.stderr.write(
    `\nBENCH_MAX_RSS_KB ${process.resourceUsage().maxRSS}\nBENCH_CPU_US ${user + system}\n${main === undefined ? '' : `BENCH_MAIN_CPU_US ${main}\n`}`
  )
})
