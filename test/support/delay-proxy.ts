/**
 * A TCP proxy on 127.0.0.1 that forwards to one port and can hold every chunk back for a while:
 * a Redis that answers, but slowly (an overloaded server, a congested link). Chunks keep their
 * order. `delayMs` can change at any time; 0 forwards at once.
 */
import net from 'node:net';

export class DelayProxy {
  /** Milliseconds each chunk is held, in both directions. */
  delayMs = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Starts a proxy to 127.0.0.1:`targetPort` on a free port. */
  static async start(targetPort: number): Promise<DelayProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new DelayProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  /** `redis://[:password@]127.0.0.1:<proxy port>`. */
  url(password?: string): string {
    return `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Forwards `from` to `to`, each chunk no earlier than `delayMs` after it arrived and after the one before it. */
  private pipe(from: net.Socket, to: net.Socket): void {
    let last = 0;
    from.on('data', (chunk: Buffer) => {
      const due = Math.max(Date.now() + this.delayMs, last);
      last = due;
      const send = (): void => {
        if (!to.destroyed) to.write(chunk);
      };
      if (due <= Date.now()) send();
      else {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
        }, due - Date.now());
        this.timers.add(timer);
      }
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
