/** LISTRAK_CROSS_CHANNEL_API_VERSION
 * Base path segment of every Cross Channel route: https://api.listrak.com/crosschannel/v1
 * API reference: https://api.listrak.com/crosschannel
 */
export const LISTRAK_CROSS_CHANNEL_API_VERSION = 'v1'
