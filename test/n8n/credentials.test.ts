/** The n8n credential forms are generated from the core's provider list, secrets as password fields. */
import type { INodeProperties } from 'n8n-workflow';
import { SentinelHubApi } from '../../credentials/SentinelHubApi.credentials';
import { TerrascopeApi } from '../../credentials/TerrascopeApi.credentials';
import { PROVIDERS, type ProviderId } from '../../nodes/core/config/providers';

/** The properties n8n shows for `environment` (those without displayOptions are always shown). */
function shownFor(properties: INodeProperties[], environment: ProviderId): INodeProperties[] {
  return properties.filter((p) => {
    const show = p.displayOptions?.show?.environment as string[] | undefined;
    return show === undefined || show.includes(environment);
  });
}

describe('Sentinel Hub API credential', () => {
  const { properties, name } = new SentinelHubApi();

  test('offers Sentinel Hub, CDSE and a custom deployment', () => {
    expect(name).toBe('sentinelHubApi');
    expect(properties[0]).toMatchObject({ name: 'environment', type: 'options', default: 'sentinel-hub' });
    expect(properties[0].options?.map((o) => (o as { value: string }).value)).toEqual(['sentinel-hub', 'cdse', 'custom']);
  });

  test.each(['sentinel-hub', 'cdse', 'custom'] as ProviderId[])('shows exactly the core fields of %s, secrets hidden', (environment) => {
    const shown = shownFor(properties.slice(1), environment);
    expect(shown.map((p) => p.name)).toEqual(PROVIDERS[environment].fields.map((f) => f.name));
    for (const field of PROVIDERS[environment].fields) {
      const property = shown.find((p) => p.name === field.name)!;
      expect({ name: field.name, required: property.required, password: property.typeOptions?.password === true }).toEqual({
        name: field.name,
        required: field.required,
        password: field.secret,
      });
    }
  });

  test('token and base URL are required for a custom deployment only', () => {
    for (const fieldName of ['tokenUrl', 'baseUrl']) {
      expect(shownFor(properties, 'custom').find((p) => p.name === fieldName)?.required).toBe(true);
      expect(shownFor(properties, 'cdse').find((p) => p.name === fieldName)?.required).toBe(false);
    }
  });
});

test('Terrascope API credential: username, password (hidden) and the URL overrides, in the core order', () => {
  const { properties, name } = new TerrascopeApi();
  expect(name).toBe('terrascopeApi');
  expect(properties.map((p) => p.name)).toEqual(PROVIDERS.terrascope.fields.map((f) => f.name));
  expect(properties.find((p) => p.name === 'password')?.typeOptions).toEqual({ password: true });
  expect(properties.find((p) => p.name === 'username')?.typeOptions).toBeUndefined();
});
