/**
 * An https origin on loopback in front of the emulator, for the one fault the plain-http emulator
 * cannot play: a redirect from https to http. A self-signed certificate (made with openssl) is
 * trusted by the Node-RED process through NODE_EXTRA_CA_CERTS; every request is passed unchanged
 * to the emulator's main origin, so its fault scripts, counters and log apply as usual.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate for 127.0.0.1 and its key, as files. */
export interface LoopbackCertificate {
  /** PEM certificate: give it to a client as NODE_EXTRA_CA_CERTS. */
  certFile: string;
  keyFile: string;
}

/** Makes a one-day self-signed certificate for IP 127.0.0.1 in `dir`. */
export async function loopbackCertificate(dir: string): Promise<LoopbackCertificate> {
  fs.mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, 'loopback-cert.pem');
  const keyFile = path.join(dir, 'loopback-key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { certFile, keyFile };
}

/** A running https front. */
export interface TlsFront {
  /** https://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** Serves https on a free loopback port, passing each request to `target` (an http origin). */
export async function startTlsFront(certificate: LoopbackCertificate, target: string): Promise<TlsFront> {
  const upstream = new URL(target);
  const server: Server = createServer(
    { key: fs.readFileSync(certificate.keyFile), cert: fs.readFileSync(certificate.certFile) },
    (req, res) => {
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          // A cut from upstream is passed on as a cut, not as a clean end.
          answer.on('close', () => {
            if (!answer.complete) res.destroy();
          });
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
