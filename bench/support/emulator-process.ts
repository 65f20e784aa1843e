/**
 * The provider emulator in a process of its own (`dist/test/emulator/cli.js`), so serving the
 * requests does not share an event loop with the client being measured. Driven over HTTP through
 * its `/__emulator/` controls.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { EmulatorConfig, EmulatorCounters, EmulatorEndpoints, RequestLogEntry } from '../../test/emulator/types';
import { stopChild, track } from './processes';

export interface EmulatorProcess {
  url: string;
  endpoints: EmulatorEndpoints;
  counters(): Promise<EmulatorCounters>;
  log(): Promise<RequestLogEntry[]>;
  configure(patch: Partial<EmulatorConfig> & { logLimit?: number }): Promise<void>;
  /** Counters, log and faults back to zero. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function control<T>(url: string, method: 'GET' | 'POST', action: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/__emulator/${action}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`emulator ${method} ${action} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Starts the emulator on free ports with the Node that runs this script; resolves once it listens. */
export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const cli = path.join(__dirname, '..', '..', 'test', 'emulator', 'cli.js');
  const child = track(spawn(process.execPath, [cli, '--port', '0', '--second-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /main origin\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with ${code}:\n${output}`));
    });
  });
  const endpoints = await control<EmulatorEndpoints>(url, 'GET', 'endpoints');
  return {
    url,
    endpoints,
    counters: () => control<EmulatorCounters>(url, 'GET', 'counters'),
    log: () => control<RequestLogEntry[]>(url, 'GET', 'log'),
    configure: async (patch) => {
      await control(url, 'POST', 'config', patch);
    },
    reset: async () => {
      await control(url, 'POST', 'reset');
    },
    stop: () => stopChild(child),
  };
}
