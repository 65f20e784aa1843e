/**
 * The engine-agnostic core: providers, tokens, authenticated requests and downloads.
 * Node-RED and n8n adapters import from here and nowhere deeper.
 */
export * from './errors';
export * from './providers';
export * from './token';
export { parseRetryAfter, backoffDelay } from './backoff';
