/**
 * One run along a redirect chain: what each hop sends. `redirectStep` (origin-policy.ts) says
 * where a redirect leads; this applies it to the request, so the body and the credentials follow
 * only where they may. Kept free of I/O so the chain can be tested without a server.
 */
import { EoError, safeUrl } from '../errors';
import { httpStatusError } from './api-errors';
import type { RedirectStep } from './origin-policy';
import { BODY_HEADERS, CROSS_ORIGIN_DROPPED, type OutgoingHeaders } from './request-headers';

/** Where a run along the redirect chain stands, and what its next request sends. */
export interface RedirectChain {
  url: URL;
  method: string;
  headers: OutgoingHeaders;
  /** False once a redirect turned the request into a GET: the body is not sent again. */
  sendBody: boolean;
  /** True once the chain left an origin: no credential follows it anywhere after that. */
  crossedOrigin: boolean;
  /** Redirects followed so far. */
  hops: number;
}

/** The first request of a run: the original URL, method and headers, with the body. */
export function startChain(url: URL, method: string, headers: OutgoingHeaders): RedirectChain {
  return { url, method, headers: { ...headers }, sendBody: true, crossedOrigin: false, hops: 0 };
}

/** What a redirect hop is checked against. */
export interface HopLimits {
  /** The URL the chain started from, for the error message. */
  startUrl: URL;
  maxRedirects: number;
  /** Whether the request body can be sent again (a stream cannot). */
  bodyReplayable: boolean;
}

/**
 * The request after the redirect `step` (answered with `status`): its URL and method, without
 * the body headers when the body is dropped, and without credentials once the origin changed.
 *
 * @throws EoError `EO_TOO_MANY_REDIRECTS` past `maxRedirects`; `EO_HTTP_STATUS` when the redirect
 *   keeps the body and the body was a stream that cannot be sent again.
 */
export function nextHop(chain: RedirectChain, step: RedirectStep, status: number, limits: HopLimits): RedirectChain {
  const hops = chain.hops + 1;
  if (hops > limits.maxRedirects) {
    throw new EoError(
      'EO_TOO_MANY_REDIRECTS',
      `${safeUrl(limits.startUrl)} redirected more than ${limits.maxRedirects} times; the last hop went to ${safeUrl(step.url)}.`,
      {
        url: safeUrl(limits.startUrl),
        hint: 'Check the URL, or raise the redirect limit if the service really needs more hops.',
      },
    );
  }
  if (!step.dropBody && chain.sendBody && !limits.bodyReplayable) {
    throw httpStatusError(status, chain.url, undefined, {
      hint: 'The request body was a stream and cannot be sent again to the redirect target: pass it as a Buffer or string.',
    });
  }
  let headers = chain.headers;
  if (step.dropBody) headers = without(headers, BODY_HEADERS);
  // Strict on purpose: once the chain leaves an origin, no credential follows it anywhere.
  const crossedOrigin = chain.crossedOrigin || step.crossOrigin;
  if (step.crossOrigin && !chain.crossedOrigin) headers = without(headers, CROSS_ORIGIN_DROPPED);
  return { url: step.url, method: step.method, headers, sendBody: chain.sendBody && !step.dropBody, crossedOrigin, hops };
}

function without(headers: OutgoingHeaders, names: readonly string[]): OutgoingHeaders {
  const out = { ...headers };
  for (const name of names) delete out[name];
  return out;
}
