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
export { steadyNow } from './clock';
export * from './config/providers';
export * from './config/connection';
export type { AccessToken, GetTokenOptions, TokenProvider } from './auth/token-provider';
export { parseRetryAfter, backoffDelay } from './http/backoff';
export { requestToken, type TokenGrant, type TokenResponse, type TokenRequestOptions } from './auth/token-request';
export { TokenCache, sharedTokenCache, tokenProviderFor, type CachedTokenProvider, type TokenCacheOptions } from './auth/token-cache';
export { formatTokenState, type TokenState } from './auth/token-state';
export {
  eoRequest,
  isReadOnlyApiCall,
  processingUnitsOf,
  type EoRequestOptions,
  type EoResponse,
  type ResponseType,
  type RequestBody,
  type AttemptInfo,
} from './http/eo-request';
export { catalogSearchAll, type CatalogSearchAllOptions, type CatalogSearchAllResult } from './services/catalog-search';
export { downloadToFile, type DownloadOptions, type DownloadResult, type DownloadProgress } from './files/download';
export {
  worldCoverTiles,
  worldCoverTileAt,
  validateBBox,
  type BBox,
  type WorldCoverTile,
  type WorldCoverYear,
} from './services/worldcover';
export { saveResponseToFile, type SaveResponseOptions, type SaveResponseResult } from './files/save-response';
export { fileWriteError, isFileWriteFailure } from './files/file-errors';
export { readTokenClaims, type TokenClaims } from './auth/jwt-claims';
export { isHeaderName, isHeaderValue } from './http/request-body';
export { SENTINEL_HUB_PATHS, isReadOnlySentinelHubPost } from './services/sentinel-hub-api';
