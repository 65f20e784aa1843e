/**
 * The slice of Node-RED's runtime API these nodes use. Node-RED ships no TypeScript types of its
 * own, and a few declarations here keep the nodes strict without a dependency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A message travelling through a flow. */
export type NodeMessage = Record<string, unknown> & { _msgid?: string };

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** The request and response objects of Node-RED's admin (express) app. */
export type AdminRequest = IncomingMessage & { body?: unknown; params?: Record<string, string> };
export type AdminResponse = ServerResponse & { json(body: unknown): void; status(code: number): AdminResponse };
export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: () => void) => void;

/** A node instance as Node-RED hands it to a constructor. */
export interface RedNode {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(
    event: 'input',
    listener: (msg: NodeMessage, send: (msg: NodeMessage | NodeMessage[]) => void, done: (err?: Error) => void) => void,
  ): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
}

export interface NodeDefinitionOptions {
  credentials?: Record<string, { type: 'text' | 'password' }>;
  settings?: Record<string, { value: unknown; exportable?: boolean }>;
}

/** The `RED` object a node module receives. */
export interface NodeRedApi {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, constructor: (this: never, config: never) => void, options?: NodeDefinitionOptions): void;
    getNode(id: string): unknown;
    getCredentials(id: string): Record<string, string | undefined> | undefined;
  };
  httpAdmin: {
    get(path: string, ...handlers: AdminHandler[]): void;
    post(path: string, ...handlers: AdminHandler[]): void;
  };
  auth: { needsPermission(permission: string): AdminHandler };
  util: { cloneMessage<T>(msg: T): T };
  settings: { fileWorkingDirectory?: string };
  _(key: string, substitutions?: Record<string, unknown>): string;
}
