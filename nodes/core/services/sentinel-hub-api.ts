/**
 * Where Sentinel Hub's APIs live, relative to the API base URL. The paths are the same on
 * services.sentinel-hub.com and on CDSE (sh.dataspace.copernicus.eu).
 */

/** The Sentinel Hub API paths both engines call. */
export const SENTINEL_HUB_PATHS = {
  /** Process API: one image (or a tar of several outputs) per request. */
  process: '/api/v1/process',
  /** Statistical API: statistics of an evalscript's output over time intervals. */
  statistics: '/api/v1/statistics',
  /** Catalog (STAC) search; at most 100 features per page. */
  catalogSearch: '/api/v1/catalog/1.0.0/search',
  /** Batch Processing v2 jobs. */
  batch: '/api/v2/batch/process',
} as const;

/** Longitude and latitude in degrees (WGS84, longitude first): the CRS of `input.bounds` when none is named. */
export const SENTINEL_HUB_CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

/** POST calls that only read: Process, Catalog search (any Catalog version) and Statistics. */
const READ_ONLY_POST_PATHS = [/\/api\/v1\/process\/?$/, /\/api\/v1\/catalog\/[^/]+\/search\/?$/, /\/api\/v1\/statistics\/?$/];

/**
 * True for a URL path whose POST only reads. Repeating it after a 5xx costs processing units
 * again but changes nothing; batch creation (and any other POST) could create a second job.
 */
export function isReadOnlySentinelHubPost(path: string): boolean {
  return READ_ONLY_POST_PATHS.some((re) => re.test(path));
}
