/**
 * The engine-agnostic core: providers, tokens, authenticated requests and downloads.
 * The Node-RED and n8n adapters import from here and nowhere deeper.
 *
 * @example
 * const connection = resolveConnection({ provider: 'terrascope', username, password });
 * const tokens = tokenProviderFor(connection); // shared by every caller with these credentials
 * const res = await eoRequest({ connection, tokens, url: '/catalogue/products?collection=...' });
 */
export { EoError, isEoError, safeUrl, type EoErrorCode, type EoErrorDetails } from './errors';
export { steadyNow } from './clock';
export * from './config/providers';
export * from './config/connection';
export { readJsonObject, type JsonObjectReading } from './config/json-object';
export type { AccessToken, GetTokenOptions, TokenProvider } from './auth/token-provider';
export { parseRetryAfter, backoffDelay } from './http/backoff';
export { requestToken, type TokenGrant, type TokenResponse, type TokenRequestOptions } from './auth/token-request';
export { TokenCache, sharedTokenCache, tokenProviderFor, type CachedTokenProvider, type TokenCacheOptions } from './auth/token-cache';
export { formatTokenState, type TokenState } from './auth/token-state';
export { eoRequest, processingUnitsOf, type EoRequestOptions, type EoResponse, type ResponseType } from './http/eo-request';
export { isReadOnlyApiCall } from './http/retry-policy';
export type { RequestBody } from './http/request-body';
export { REQUEST_METHODS, isRequestMethod, methodSendsBody, type RequestMethod } from './http/request-methods';
export type { AttemptInfo } from './http/send-authorized';
export { tokenSharingStatus } from './auth/shared/sharing-status';
export { tokenSharingFromEnvironment } from './auth/shared/sharing-from-environment';
export { RedisTokenSharing, type RedisTokenSharingOptions } from './auth/shared/shared-renewal';
export { sharingConfig, redisAddress, type RedisSettings, type SharingConfig } from './shared-store/sharing-config';
export type { TokenSharing, TokenSharingStatus } from './auth/shared/renewal-port';
export { catalogSearchAll, type CatalogSearchAllOptions, type CatalogSearchAllResult } from './services/catalog-search';
export { downloadToFile, type DownloadOptions, type DownloadResult } from './files/download';
export { fileNameFromUrl } from './files/file-name';
export type { DownloadProgress } from './files/progress';
export { mapDownloads, type MapDownloadsOptions } from './files/map-downloads';
export { realFolderPath, resolveInside } from './files/safe-path';
export {
  ConnectionCap,
  ConnectionCaps,
  sharedConnectionCaps,
  type ConnectionCapState,
  type ConnectionSlot,
  type SlotPriority,
} from './http/connection-cap';
export {
  worldCoverTiles,
  worldCoverTileAt,
  worldCoverYear,
  isMissingWorldCoverTile,
  LATEST_WORLDCOVER_YEAR,
  WORLDCOVER_GRID,
  type WorldCoverTile,
  type WorldCoverYear,
} from './services/worldcover';
export { parseBBox, validateBBox, isGeographicCrs, CRS84, type BBox, type BBoxOptions } from './services/bounding-box';
export { parseGeometry, type GeoJsonGeometry } from './services/geojson-geometry';
export { saveResponseToFile, type SaveResponseOptions, type SaveResponseResult } from './files/save-response';
export { fileWriteError, isFileWriteFailure } from './files/file-errors';
export { readTokenClaims, type TokenClaims } from './auth/jwt-claims';
export { isHeaderName, isHeaderValue } from './http/request-headers';
export { SENTINEL_HUB_PATHS, isReadOnlySentinelHubPost } from './services/sentinel-hub-api';
export {
  sceneFromItem,
  byAcquisition,
  type Scene,
  type FoundScene,
  type SceneAsset,
  type SceneLink,
  type SceneReason,
} from './services/scene-watch/scene';
export {
  sortScenes,
  advanceCursor,
  isCursorOf,
  MAX_REMEMBERED_SCENES,
  type WatchCursor,
  type ScenesSorted,
} from './services/scene-watch/cursor';
export {
  checkWatchSettings,
  watchKey,
  searchBody,
  TERRASCOPE_STAC_SEARCH_URL,
  DEFAULT_LOOKBACK_HOURS,
  MAX_LOOKBACK_HOURS,
  type WatchSettings,
  type WatchSettingsInput,
  type WatchSource,
  type FirstPoll,
} from './services/scene-watch/watch-settings';
export {
  InProcessEmissionClaims,
  type EmissionClaims,
  type SceneVersion,
  type ClaimedVersion,
} from './services/scene-watch/emission-claims';
export { sharedEmissionClaims } from './services/scene-watch/shared-emission-claims';
export {
  pollScenes,
  pollSummary,
  newestScene,
  type ScenePollOptions,
  type ScenePollResult,
  type WatchRequestOptions,
} from './services/scene-watch/poll';
export {
  testConnection,
  CONNECTION_TEST_TIMEOUT_MS,
  type ConnectionTestResult,
  type ConnectionTestSuccess,
  type ConnectionTestFailure,
  type ConnectionTestOptions,
} from './auth/connection-test';
export { userHeaders, type UserHeaders } from './http/user-headers';
export { mediaTypeOf, extensionOf } from './services/media-types';
