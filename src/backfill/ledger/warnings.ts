/** How many of the most common warnings a report lists. */
const COMMON_WARNINGS = 5
/** Distinct texts counted at most: a destination that puts something new in every warning cannot grow this. */
const MAX_DISTINCT = 1000

export interface CommonWarning {
  subscription: string
  /** The destination's text, its quoted values (an email, a phone number) replaced by "…". */
  text: string
  count: number
}

/** A warning's text without the values it quotes, so that it names no one and the same warning adds up. */
const withoutValues = (text: string): string => text.replace(/"(?:[^"\\]|\\.)*"/g, '"…"')

/** The texts of the warnings of accepted events, by subscription, counted within a fixed bound. */
export class WarningTally {
  private readonly counts = new Map<string, CommonWarning>()

  add(subscription: string, warnings: readonly string[]): void {
    for (const warning of warnings) {
      const text = withoutValues(warning)
      const key = `${subscription}\u0000${text}`
      const entry = this.counts.get(key)
      if (entry) entry.count++
      else if (this.counts.size < MAX_DISTINCT) this.counts.set(key, { subscription, text, count: 1 })
    }
  }

  /** The most common warnings, most frequent first. */
  common(): CommonWarning[] {
    return [...this.counts.values()].sort((a, b) => b.count - a.count).slice(0, COMMON_WARNINGS)
  }
}
