/**
 * Builds n8n credential properties from the core's provider definitions, so the n8n credential
 * forms and Node-RED's eo-auth dialog are generated from the same list (nodes/core/config/providers.ts).
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { PROVIDERS, type CredentialField, type ProviderId } from '../nodes/core';

function optionsOf(field: CredentialField): INodePropertyOptions[] | undefined {
  return field.type === 'options' ? field.options?.map((o) => ({ name: o.label, value: o.value })) : undefined;
}

/** A string field with well-known values lists them in its description; the value itself stays free text. */
function descriptionOf(field: CredentialField): string {
  if (field.type === 'options' || !field.options?.length) return field.description;
  const known = field.options.map((o) => `${o.value} (${o.label})`).join('; ');
  return `${field.description} Known values: ${known}.`;
}

/** One n8n property for a core field. */
export function fieldToProperty(field: CredentialField): INodeProperties {
  const numeric = field.type === 'number';
  const property: INodeProperties = {
    displayName: field.label,
    name: field.name,
    type: field.type === 'password' ? 'string' : field.type,
    default: numeric ? Number(field.default) : (field.default ?? ''),
    description: descriptionOf(field),
    required: field.required,
  };
  if (field.secret || field.type === 'password') property.typeOptions = { password: true };
  if (numeric && field.range) property.typeOptions = { minValue: field.range.min, maxValue: field.range.max, numberPrecision: 0 };
  // A number field always holds a value (its default): a placeholder would never show.
  if (field.placeholder && !numeric) property.placeholder = field.placeholder;
  const options = optionsOf(field);
  if (options) property.options = options;
  return property;
}

/**
 * Properties for a credential that covers several providers, chosen by the `selector` property.
 * A field whose form differs between providers (required for "custom", optional with a default
 * elsewhere) becomes one property per variant, each shown only for its providers.
 */
export function providerProperties(selector: string, providers: ProviderId[]): INodeProperties[] {
  const variants: { key: string; property: INodeProperties; providers: ProviderId[] }[] = [];
  for (const id of providers) {
    // A new variant goes right after this provider's previous field, so every provider sees its
    // fields in the core's order.
    let cursor = -1;
    for (const field of PROVIDERS[id].fields) {
      const property = fieldToProperty(field);
      const key = JSON.stringify(property);
      let index = variants.findIndex((v) => v.key === key);
      if (index < 0) {
        index = cursor + 1;
        variants.splice(index, 0, { key, property, providers: [id] });
      } else {
        variants[index].providers.push(id);
      }
      cursor = Math.max(cursor, index);
    }
  }
  return variants.map(({ property, providers: shownFor }) =>
    shownFor.length === providers.length ? property : { ...property, displayOptions: { show: { [selector]: shownFor } } },
  );
}

/** The provider choice itself, labelled as the core labels the providers. */
export function providerSelector(name: string, displayName: string, providers: ProviderId[]): INodeProperties {
  return {
    displayName,
    name,
    type: 'options',
    default: providers[0],
    options: providers.map((id) => ({ name: PROVIDERS[id].label, value: id })),
    description: 'The service these credentials belong to. CDSE credentials do not work on Sentinel Hub and vice versa.',
  };
}

/** Properties for a single-provider credential (fields in the core's order). */
export function singleProviderProperties(provider: ProviderId): INodeProperties[] {
  return PROVIDERS[provider].fields.map(fieldToProperty);
}
