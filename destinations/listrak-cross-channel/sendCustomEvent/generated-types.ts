// Generated file. DO NOT MODIFY IT BY HAND. Run `npm run generate:types` after changing fields.

export interface Payload {
  /**
   * The Listrak custom event configuration that receives the events: choose one from the list of your account, or map a value from the event. A value that is not an eventUID is taken as the name of an event configuration.
   */
  eventUID: string
  /**
   * The person's email address. Trimmed and lower-cased before sending; a value that is not an email address is left out, with a warning in the event's result.
   */
  emailAddress?: string
  /**
   * The person's phone number. Reduced to its digits before sending; a value without 7 to 15 digits is left out, with a warning in the event's result.
   */
  phoneNumber?: string
  /**
   * Listrak's identifier of the person's mobile contact, if you have it.
   */
  mobileContactUid?: string
  /**
   * The values of the custom event's fields. Keys come from the event configuration's schema; each value is converted to the field's type (String, Int, Double, Date) before sending, and keys the schema does not have are left out.
   */
  dataFields?: {
    [k: string]: unknown
  }
  /**
   * Send events in batches, one request per batch of events with the same event configuration.
   */
  enable_batching?: boolean
  /**
   * The most events sent in one request to Listrak.
   */
  batch_size?: number
  /**
   * The largest request body, in bytes. A batch that would be larger is sent in several requests.
   */
  batch_bytes?: number
  /**
   * Events are batched by event configuration, since each request goes to one event configuration.
   */
  batch_keys?: string[]
}
