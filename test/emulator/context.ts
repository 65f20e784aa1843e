/** What every route handler gets: the request, its origin role, the parsed URL and the shared state. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state';
import type { RequestLogEntry } from './types';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  origin: 'main' | 'second';
  /** http://127.0.0.1:PORT of the origin this request arrived on. */
  originUrl: string;
  url: URL;
  /** Request body, buffered before routing (empty for GET/HEAD). */
  body: Buffer;
  state: EmulatorState;
  entry?: RequestLogEntry;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;
