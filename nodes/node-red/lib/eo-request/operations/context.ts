/** What every operation of eo-request gets: the connection, the message, and ways to report. */
import type { Connection, DownloadProgress, TokenProvider } from '../../../../core';
import type { Translate } from '../../messages';
import type { NodeMessage } from '../../red';
import type { EoRequestConfig } from '../request-config';

/** What msg.eo reports about a call (never a token or a secret). */
export interface EoReport {
  attempts: number;
  processingUnits?: number;
  bytes?: number;
  path?: string;
  skipped?: boolean;
  resumed?: number;
  /** Times the server refused the download for too many connections (429) and it was waited out. */
  refusals?: number;
  pages?: number;
  next?: number | string;
  tokenRefreshes?: number;
}

export interface OperationContext {
  config: EoRequestConfig;
  connection: Connection;
  tokens: TokenProvider;
  /** The input message; operations change it only once they succeed, so a Catch node sees it as it came. */
  msg: NodeMessage;
  signal: AbortSignal;
  t: Translate;
  /** Sends one output message (operations with several results call it several times). */
  send(msg: NodeMessage): void;
  /** A copy of the input message for one of several outputs. */
  clone(msg: NodeMessage): NodeMessage;
  /** Download progress for the status; `label` names the item, e.g. "tile 2/4". */
  progress(p: DownloadProgress, label?: string): void;
  warn(text: string): void;
}

export type OperationRunner = (ctx: OperationContext) => Promise<void>;
