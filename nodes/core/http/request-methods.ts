/**
 * The methods a custom request offers in both engines, and which of them carry a body. A GET or
 * HEAD body has no meaning in HTTP (RFC 9110, 9.3.1 and 9.3.2) and some servers refuse it, so a
 * payload that comes with one of them is not sent.
 */

/** Every method a user can choose for a custom request. */
export const REQUEST_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** One of {@link REQUEST_METHODS}. */
export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** Whether `method` (upper case) is one a custom request offers. */
export function isRequestMethod(method: string): method is RequestMethod {
  return (REQUEST_METHODS as readonly string[]).includes(method);
}

/**
 * Whether a request with `method` sends the body it is given.
 *
 * @example
 * methodSendsBody('POST'); // true
 * methodSendsBody('GET'); // false
 */
export function methodSendsBody(method: string): boolean {
  const upper = method.toUpperCase();
  return upper !== 'GET' && upper !== 'HEAD';
}
