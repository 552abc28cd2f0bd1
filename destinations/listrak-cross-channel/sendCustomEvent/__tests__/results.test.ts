import type { ListrakEvent } from '../contract'
import { mapRecipientResults } from '../results'

const email = (value: string) => ({ identifierType: 'EmailAddress' as const, identifierValue: value })
const event = (...identifiers: ListrakEvent['identifiers']): ListrakEvent => ({ identifiers, dataFields: {} })

describe('mapRecipientResults', () => {
  it('maps groups back to the events that carried their identifiers', () => {
    const results = mapRecipientResults(
      [event(email('a@x.com')), event(email('b@x.com')), event(email('c@x.com'))],
      {
        data: [
          { statusCode: 200, identifiers: [email('a@x.com'), email('c@x.com')] },
          { statusCode: 400, identifiers: [email('b@x.com')], errors: [{ errorMessage: 'bad' }] }
        ]
      },
      200
    )
    expect(results.map((result) => result.status)).toEqual([200, 400, 200])
    expect(results[1]).toMatchObject({ ok: false, message: 'Listrak rejected the recipient (400): bad' })
  })

  it('gives each event the first group naming one of its identifiers when every group is 2xx', () => {
    const phone = { identifierType: 'PhoneNumber' as const, identifierValue: '5551234567' }
    const first = { statusCode: 201, identifiers: [email('b@x.com'), phone] }
    const second = { statusCode: 202, identifiers: [email('A@x.com')] }
    const results = mapRecipientResults(
      [event(email('a@x.com'), phone), event(phone), event(email('c@x.com'))],
      { data: [first, second], meta: { statusCode: 207 } },
      200
    )
    expect(results.map((result) => [result.status, result.body])).toEqual([
      [202, second],
      [201, first],
      [207, { data: [first, second], meta: { statusCode: 207 } }]
    ])
  })

  it('matches identifiers whatever the case Listrak echoes them in', () => {
    const [result] = mapRecipientResults(
      [event(email('a@x.com'))],
      { data: [{ statusCode: 400, identifiers: [email('A@X.com')] }] },
      200
    )
    expect(result.status).toBe(400)
  })

  it('gives events no group mentions the overall status in meta, failure included', () => {
    expect(
      mapRecipientResults([event(email('a@x.com'))], { data: [], meta: { statusCode: 207 } }, 200)[0]
    ).toMatchObject({ ok: true, status: 207 })
    expect(
      mapRecipientResults([event(email('a@x.com'))], { meta: { statusCode: 500, message: 'partial outage' } }, 200)[0]
    ).toMatchObject({ ok: false, status: 500, message: 'partial outage' })
    expect(mapRecipientResults([event(email('a@x.com'))], {}, 202)[0]).toMatchObject({ ok: true, status: 202 })
  })

  it('lets a failure win when groups disagree about an event, so nothing is reported sent that was not', () => {
    const results = mapRecipientResults(
      [event(email('a@x.com')), event(email('a@x.com'))],
      {
        data: [
          { statusCode: 200, identifiers: [email('a@x.com')] },
          { statusCode: 400, identifiers: [email('a@x.com')], errors: [{ errorMessage: 'bad field' }] }
        ]
      },
      200
    )
    expect(results.map((result) => result.status)).toEqual([400, 400])
  })

  it('shortens a long list of errors', () => {
    const errors = Array.from({ length: 5 }, (_, i) => ({ errorMessage: `e${i}` }))
    const [result] = mapRecipientResults(
      [event(email('a@x.com'))],
      { data: [{ statusCode: 400, identifiers: [email('a@x.com')], errors }] },
      200
    )
    expect(result).toMatchObject({ message: 'Listrak rejected the recipient (400): e0; e1; e2 (and 2 more)' })
  })
})
