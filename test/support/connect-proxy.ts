/**
 * A minimal forward proxy on loopback for proxy tests: it accepts HTTP CONNECT (what undici's
 * proxy agents send) and plain absolute-URI requests, tunnels them, and counts what it saw.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  url: string;
  /** host:port targets of every CONNECT or proxied request, in order. */
  targets: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<TestProxy> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    // Absolute-form request (plain HTTP proxying).
    const target = new URL(req.url ?? '');
    targets.push(target.host);
    const upstream = http.request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, clientSocket: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    targets.push(req.url ?? '');
    const upstream = net.connect(Number(port), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    sockets.add(upstream);
    sockets.add(clientSocket);
    const destroyBoth = (): void => {
      upstream.destroy();
      clientSocket.destroy();
    };
    upstream.on('error', destroyBoth);
    clientSocket.on('error', destroyBoth);
    upstream.on('close', () => sockets.delete(upstream));
    clientSocket.on('close', () => sockets.delete(clientSocket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
