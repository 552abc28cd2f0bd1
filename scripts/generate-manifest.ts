/** Writes manifest.json from the destination registry. `npm run manifest`; test/manifest.test.ts fails when it is stale. */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderManifest } from '../src/manifest'

writeFileSync(path.join(__dirname, '..', 'manifest.json'), renderManifest())
console.log('wrote manifest.json')
