/**
 * The naive Node-RED flow, the token section's first peer: per message, a token request through
 * one core http request node, then the API call with that token through another.
 */
import type { FlowNode } from '../../test/support/flows';
import { functionNode, httpRequestNode, SMALL_GET_PATH, type BenchAccount } from './bench-nodes';
import { sinkId } from './load-flow';

/** One chain of the naive flow; `httpNodes` send their failures only to Catch nodes (senderr). */
interface NaiveChain {
  nodes: FlowNode[];
  entry: string;
  exit: string;
  httpNodes: string[];
}

function naiveChain(prefix: string, flowName: string, acc: BenchAccount): NaiveChain {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: acc.clientId,
    client_secret: acc.clientSecret,
  }).toString();
  const id = (part: string): string => `${prefix}-${part}`;
  return {
    entry: id('prep'),
    exit: id('api'),
    httpNodes: [id('token'), id('api')],
    nodes: [
      functionNode(
        id('prep'),
        `msg.payload = ${JSON.stringify(form)};\nmsg.headers = { 'content-type': 'application/x-www-form-urlencoded' };\nreturn msg;`,
        [[id('token')]],
      ),
      httpRequestNode(id('token'), { method: 'POST', url: acc.tokenUrl, ret: 'obj', wires: [[id('auth')]], senderr: true }),
      functionNode(
        id('auth'),
        "if (msg.statusCode !== 200 || !msg.payload || !msg.payload.access_token) return [null, msg];\nmsg.headers = { Authorization: 'Bearer ' + msg.payload.access_token };\nmsg.payload = undefined;\nreturn [msg, null];",
        [[id('api')], [sinkId(flowName)]],
      ),
      httpRequestNode(id('api'), { method: 'GET', url: acc.baseUrl + SMALL_GET_PATH, ret: 'obj', senderr: true }),
    ],
  };
}

/**
 * `count` naive chains for the load flow `flowName`: the driver's entries, the exits to the sink,
 * and the http request nodes a Catch node must watch (a connection error ends the message there
 * instead of leaving the run waiting for it).
 */
export function naiveTargets(
  prefix: string,
  flowName: string,
  acc: BenchAccount,
  count: number,
): { nodes: FlowNode[]; entries: string[]; exits: string[]; caught: string[] } {
  const chains = Array.from({ length: count }, (_, i) => naiveChain(`${prefix}-${i + 1}`, flowName, acc));
  return {
    nodes: chains.flatMap((c) => c.nodes),
    entries: chains.map((c) => c.entry),
    exits: chains.map((c) => c.exit),
    caught: chains.flatMap((c) => c.httpNodes),
  };
}
