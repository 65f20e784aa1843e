/**
 * A faithful model of n8n's reactive credential handling (n8n 2.41.1, n8n-core
 * `requestWithAuthentication` with `CredentialsHelper.preAuthentication`), used as the n8n peer of
 * the token-efficiency section:
 *  - each request reads the credential as stored at that moment (n8n decrypts it per call);
 *  - when the hidden `expirable` token field is empty, it fetches a token and stores it;
 *  - it never looks at the token's expiry: the token is used until the API answers 401;
 *  - after a 401 it fetches a new token, stores it and retries the request once; a second
 *    failure reaches the workflow as a NodeApiError.
 * There is no single flight: calls that find the field empty (or get a 401) at the same time
 * each fetch their own token, as concurrent n8n items do.
 */
import { Agent, request } from 'undici';
import type { BenchAccount } from './bench-nodes';

export interface ModelOutcome {
  ok: boolean;
  /** Status the workflow saw (after the one retry). */
  status: number | string;
}

export class N8nReactiveCredential {
  /** The credential's hidden expirable field as n8n persists it ('' until the first fetch). */
  private stored = '';
  private readonly dispatcher = new Agent({ keepAliveTimeout: 4_000 });

  constructor(private readonly account: BenchAccount) {}

  /** The credential type's `preAuthentication`: one token request, written back to the store. */
  private async preAuthentication(): Promise<string> {
    const res = await request(this.account.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.account.clientId, client_secret: this.account.clientSecret }).toString(),
      dispatcher: this.dispatcher,
    });
    const body = (await res.body.json()) as { access_token?: string };
    if (res.statusCode !== 200 || !body.access_token) throw new Error(`token endpoint answered ${res.statusCode}`);
    this.stored = body.access_token;
    return body.access_token;
  }

  private async send(path: string, token: string): Promise<number> {
    const res = await request(this.account.baseUrl + path, { headers: { authorization: `Bearer ${token}` }, dispatcher: this.dispatcher });
    await res.body.arrayBuffer();
    return res.statusCode;
  }

  /** One GET of `path` the way n8n's HTTP Request node sends it with a predefined credential type. */
  async get(path: string): Promise<ModelOutcome> {
    try {
      let token = this.stored;
      if (token === '') token = await this.preAuthentication();
      let status = await this.send(path, token);
      if (status === 401) {
        token = await this.preAuthentication();
        status = await this.send(path, token);
      }
      return { ok: status >= 200 && status < 300, status };
    } catch (err) {
      return { ok: false, status: (err as { code?: string }).code ?? 'error' };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
