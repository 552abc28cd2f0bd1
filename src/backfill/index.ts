export { Backfill } from './run'
export { totalsOf } from './ledger/ledger'
export type { BackfillOptions, BackfillProgress, BackfillReport, BackfillCounts, NotRead } from './run'
