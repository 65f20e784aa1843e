/**
 * No sharing: every renewal asks the provider from this process, with the refresh token held
 * here. What a token cache does when no Redis is configured (or the configuration is unusable,
 * then `problem` says why), exactly as before sharing existed.
 */
import type { RenewalPort, Renewed, TokenSharing, TokenSharingStatus } from './renewal-port';

export class ProcessOnly implements TokenSharing {
  /** @param problem why sharing is off although it was asked for (a malformed EO_REDIS_URL). */
  constructor(private readonly problem?: string) {}

  async renew(port: RenewalPort): Promise<Renewed> {
    const obtained = await port.obtain(port.heldRefresh(), { shared: false });
    return { token: obtained.token, fresh: true };
  }

  invalidate(): void {
    // Nothing outside this process to tell.
  }

  status(): TokenSharingStatus {
    return { mode: 'local', ...(this.problem ? { problem: this.problem } : {}), text: 'this process only' };
  }

  async close(): Promise<void> {
    // Nothing to close.
  }
}
