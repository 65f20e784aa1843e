/**
 * The one undici dispatcher the core sends through. EnvHttpProxyAgent honours HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY, which corporate networks and EO processing clusters rely on.
 */
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

let shared: Dispatcher | undefined;

export function defaultDispatcher(): Dispatcher {
  shared ??= new EnvHttpProxyAgent({
    connect: { timeout: 30_000 },
    // Long downloads keep a socket for minutes; idle sockets are closed soon so a process ends promptly.
    keepAliveTimeout: 4_000,
  });
  return shared;
}
