/** The provider access of an EO Request item: its resource's credentials, and the execution's cancel signal. */
import type { IExecuteFunctions } from 'n8n-workflow';
import { accessFromCredentials, CREDENTIAL_TYPE, type ProviderAccess } from '../../n8n-shared/credentials';

/** The node's resources; each has its own credential type. */
export type EoResource = keyof typeof CREDENTIAL_TYPE;

/** What an operation needs to call a provider. */
export interface EoContext extends ProviderAccess {
  /** Aborted when the execution is cancelled, so a long download stops with it. */
  signal?: AbortSignal;
}

/** The connection and shared token provider for `resource`, from the credentials of item `itemIndex`. */
export async function eoContext(ctx: IExecuteFunctions, resource: EoResource, itemIndex: number): Promise<EoContext> {
  const type = CREDENTIAL_TYPE[resource];
  const access = accessFromCredentials(type, await ctx.getCredentials(type, itemIndex));
  return { ...access, signal: ctx.getExecutionCancelSignal?.() };
}
