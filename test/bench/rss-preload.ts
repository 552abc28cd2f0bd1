/** Loaded with `node --require` into every measured process: reports its peak RSS and CPU time (all threads) on exit. */
process.on('exit', () => {
  const { user, system } = process.cpuUsage()
  process.stderr.write(`\nBENCH_MAX_RSS_KB ${process.resourceUsage().maxRSS}\nBENCH_CPU_US ${user + system}\n`)
})
