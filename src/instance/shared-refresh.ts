import type { RefreshAccessTokenResult } from '@segment/actions-core'
import type { AnyDefinition } from './any-destination'

type Refresh = (...args: Parameters<NonNullable<OAuthRefresh>>) => Promise<RefreshAccessTokenResult>
type OAuthRefresh = Extract<AnyDefinition['authentication'], { refreshAccessToken?: unknown }>['refreshAccessToken']

/**
 * The definition with its token refresh shared by every batch this thread sends, as a CDP's runtime keeps one
 * token per destination instance: batches that meet an expiry together wait for one token request, and a batch
 * refused with a token older than the newest gets the newest instead of asking again. The token itself reaches
 * later batches through the shared `settings.oauth`, which actions-core updates in place.
 */
export function withSharedRefresh(definition: AnyDefinition): AnyDefinition {
  const { authentication } = definition
  if (!authentication || !('refreshAccessToken' in authentication) || !authentication.refreshAccessToken)
    return definition
  const refresh = authentication.refreshAccessToken as Refresh
  let newest: RefreshAccessTokenResult | undefined
  let pending: Promise<RefreshAccessTokenResult> | undefined
  const shared: Refresh = (request, input) => {
    if (newest && input.auth.accessToken !== newest.accessToken) return Promise.resolve(newest)
    pending ??= refresh(request, input)
      .then((tokens) => (newest = tokens))
      .finally(() => (pending = undefined))
    return pending
  }
  return { ...definition, authentication: { ...authentication, refreshAccessToken: shared } }
}
