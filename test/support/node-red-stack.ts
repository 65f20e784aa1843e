/**
 * The offline demo and the end-to-end setup in one place: the provider emulator, a real Node-RED
 * with this package installed from its tarball, and the example flows deployed against the
 * emulator with its demo credentials. `npm run demo` and the tests both start exactly this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_CLIENT, DEMO_USER, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { examplesForEmulator, withCollectors, type EmulatorTarget, type FlowNode } from './flows';
import { installPackage, runtimeForThisNode, startNodeRed, type NodeRedProcess, type NodeRedRuntime } from './node-red-process';
import { packPackage } from './package-tarball';

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Holds the tarball (`pack/`) and the Node-RED user directory (`node-red/`). */
  workDir: string;
  /** Node-RED port; default a free one. */
  port?: number;
  /** Emulator port (its second origin takes the next one); default free ones. */
  emulatorPort?: number;
  runtime?: NodeRedRuntime;
  /** Fixed credential secret for flows_cred.json. */
  credentialSecret?: string;
  /** A tarball already packed; default: pack the built package now. */
  tarball?: string;
  /** Add the test collector (see withCollectors). Default false. */
  collectors?: boolean;
  /** Deploy the examples. Default true. */
  deployExamples?: boolean;
  /** Where Node-RED's own output is echoed (the demo prints it). */
  echo?: NodeJS.WritableStream;
  /** Extra environment of the Node-RED process. */
  env?: NodeJS.ProcessEnv;
  /** More members of Node-RED's settings object (e.g. a contextStorage), as JavaScript source. */
  extraSettings?: string[];
  /** Run Node-RED as this user (see StartNodeRedOptions.user). */
  user?: { uid: number; gid: number };
}

/** A running emulator + Node-RED with the examples deployed. */
export interface Stack {
  emulator: Emulator;
  nodeRed: NodeRedProcess;
  /** The Node-RED user directory (flows.json, flows_cred.json; relative output folders land here). */
  userDir: string;
  /** What was deployed. */
  flows: FlowNode[];
  target: EmulatorTarget;
  /** Stops Node-RED, then the emulator; safe to call twice. */
  stop(): Promise<void>;
}

/** The emulator's endpoints and demo credentials, as EO Auth nodes need them. */
export function emulatorTarget(emulator: Emulator): EmulatorTarget {
  return {
    url: emulator.url,
    endpoints: emulator.endpoints,
    clientId: DEMO_CLIENT.clientId,
    clientSecret: DEMO_CLIENT.clientSecret,
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  };
}

/**
 * Packs and installs the package into `<workDir>/node-red`, starts the emulator and Node-RED, and
 * deploys the example flows pointed at the emulator. On any failure everything started is stopped.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const userDir = path.join(options.workDir, 'node-red');
  const packDir = path.join(options.workDir, 'pack');
  fs.mkdirSync(packDir, { recursive: true });
  const tarball = options.tarball ?? (await packPackage(packDir));
  // A stale copy from an earlier run would hide what the new tarball contains.
  fs.rmSync(path.join(userDir, 'node_modules', '@eo-nodes'), { recursive: true, force: true });
  await installPackage(userDir, tarball, (options.runtime ?? runtimeForThisNode()).nodeBin);

  const emulator = await startEmulator(options.emulatorPort ? { port: options.emulatorPort, secondPort: options.emulatorPort + 1 } : {});
  let nodeRed: NodeRedProcess | undefined;
  try {
    nodeRed = await startNodeRed({
      userDir,
      port: options.port,
      runtime: options.runtime,
      credentialSecret: options.credentialSecret,
      echo: options.echo,
      env: options.env,
      extraSettings: options.extraSettings,
      user: options.user,
    });
    const target = emulatorTarget(emulator);
    let flows: FlowNode[] = options.deployExamples === false ? [] : examplesForEmulator(target);
    if (options.collectors) flows = withCollectors(flows);
    if (flows.length) await nodeRed.deploy(flows);
    const red = nodeRed;
    return {
      emulator,
      nodeRed: red,
      userDir,
      flows,
      target,
      stop: async () => {
        await red.stop();
        await emulator.close();
      },
    };
  } catch (err) {
    await nodeRed?.stop();
    await emulator.close();
    throw err;
  }
}

/** Resolves once the emulator has seen no request for `quietMs` (or after `maxMs`). */
export async function emulatorQuiet(emulator: Emulator, quietMs = 1000, maxMs = 30_000): Promise<void> {
  const end = Date.now() + maxMs;
  let count = emulator.log().length;
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = emulator.log().length;
    if (now !== count) {
      count = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** Files under `dir`, relative to it, recursively (`.part`/`.meta.json` bookkeeping included). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
