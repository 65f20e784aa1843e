/**
 * The engine-agnostic core: providers, tokens, authenticated requests and downloads.
 * The Node-RED and n8n adapters import from here and nowhere deeper.
 *
 * @example
 * const connection = resolveConnection({ provider: 'terrascope', username, password });
 * const tokens = tokenProviderFor(connection); // shared by every caller with these credentials
 * const res = await eoRequest({ connection, tokens, url: '/catalogue/products?collection=...' });
 */
export * from './errors';
export * from './providers';
export * from './connection';
export type { AccessToken, GetTokenOptions, TokenProvider } from './token';
export { parseRetryAfter, backoffDelay } from './backoff';
export { requestToken, type TokenGrant, type TokenResponse, type TokenRequestOptions } from './grants';
export {
  TokenCache,
  sharedTokenCache,
  tokenProviderFor,
  type CachedTokenProvider,
  type TokenCacheOptions,
} from './token-cache';
export { formatTokenState, type TokenState } from './token-state';
export {
  eoRequest,
  isReadOnlyApiCall,
  processingUnitsOf,
  type EoRequestOptions,
  type EoResponse,
  type ResponseType,
  type RequestBody,
  type AttemptInfo,
} from './request';
export { catalogSearchAll, CATALOG_SEARCH_PATH, type CatalogSearchAllOptions, type CatalogSearchAllResult } from './catalog';
export { downloadToFile, type DownloadOptions, type DownloadResult, type DownloadProgress } from './download';
export { worldCoverTiles, worldCoverTileAt, validateBBox, type BBox, type WorldCoverTile, type WorldCoverYear } from './worldcover';
export { saveResponseToFile, type SaveResponseOptions, type SaveResponseResult } from './save-response';
export { readTokenClaims, type TokenClaims } from './jwt';
export { isHeaderName, isHeaderValue } from './request-body';
