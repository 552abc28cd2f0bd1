import { jsonChecksum, recordChecksum } from '../../../src/backfill/state/identity'

describe('jsonChecksum', () => {
  it('is the checksum of the text the bytes hold, so that checkpoints read the same whichever a run kept', () => {
    for (const text of ['{"a":1}', '{"name":"Zoë"}', '{"city":"東京"}', '{"mood":"😀"}', ''])
      expect(jsonChecksum(Buffer.from(text))).toBe(recordChecksum(text))
    // The length above the CRC is the text's (UTF-16 code units), not its bytes'.
    expect(jsonChecksum(Buffer.from('é'))).not.toBe(recordChecksum(Buffer.from('é')))
  })
})
