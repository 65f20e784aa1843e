/** What an authenticated request needs from the token cache. */
export interface AccessToken {
  /** The bearer token. Never log it, never put it in a message. */
  value: string;
  /** Epoch milliseconds when the provider stops accepting it (JWT `exp`, else `expires_in`). */
  expiresAt: number;
  /** JWT `iss`, when present: used to explain a 401 from the wrong service. */
  issuer?: string;
}

export interface GetTokenOptions {
  /**
   * The token must stay valid at least this long (on top of the cache's own refresh margin),
   * e.g. the expected duration of a long download. A token that lives shorter is refreshed first.
   */
  minValidityMs?: number;
  signal?: AbortSignal;
}

export interface TokenProvider {
  getToken(options?: GetTokenOptions): Promise<AccessToken>;
  /**
   * Forget `tokenValue` after the API rejected it (401). A newer token that another caller has
   * fetched meanwhile is kept, so a burst of 401s costs one token request, not one each.
   */
  invalidate(tokenValue: string): void;
}
