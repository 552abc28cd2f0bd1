// Generated file. DO NOT MODIFY IT BY HAND. Run `npm run generate:types` after changing fields.

export interface Settings {
  /**
   * The Client ID of your Listrak Cross Channel integration (Integrations → Integration Management).
   */
  clientId: string
  /**
   * The Client Secret of your Listrak Cross Channel integration.
   */
  clientSecret: string
  /**
   * The base URL of the Cross Channel API. Leave it as it is unless you test against another server; it must use https except on localhost.
   */
  apiUrl?: string
  /**
   * Listrak's OAuth2 token endpoint. Leave it as it is unless you test against another server; it must use https except on localhost.
   */
  tokenUrl?: string
}
