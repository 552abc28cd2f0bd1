// Generated file. DO NOT MODIFY IT BY HAND. Run `npm run generate:types` after changing fields.

export interface Settings {
  /**
   * The Client ID of your Listrak Cross Channel integration (Integrations → Integration Management).
   */
  client_id: string
  /**
   * The Client Secret of your Listrak Cross Channel integration.
   */
  client_secret: string
}
