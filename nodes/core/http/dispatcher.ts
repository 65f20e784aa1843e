/**
 * The one undici dispatcher the core sends through. EnvHttpProxyAgent honours HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY, which corporate networks and EO processing clusters rely on.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

let shared: Dispatcher | undefined;

const AGENT_OPTIONS = {
  connect: { timeout: 30_000 },
  // Long downloads keep a socket for minutes; idle sockets are closed soon so a process ends promptly.
  keepAliveTimeout: 4_000,
};

/** EnvHttpProxyAgent reads the proxy variables once, when it is built; NO_PROXY matters only when one is set. */
function proxyConfigured(): boolean {
  const env = process.env;
  return Boolean(env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY);
}

export function defaultDispatcher(): Dispatcher {
  // Without a proxy, EnvHttpProxyAgent sends everything through a plain Agent anyway, but first
  // parses each request's origin and reads NO_PROXY from the environment: a cost on every request.
  shared ??= proxyConfigured() ? new EnvHttpProxyAgent(AGENT_OPTIONS) : new Agent(AGENT_OPTIONS);
  return shared;
}
