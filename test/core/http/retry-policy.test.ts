import { isReadOnlyApiCall } from '../../../nodes/core/http/retry-policy';

describe('retry policy (unit)', () => {
  it('knows which POST calls are read-only', () => {
    expect(isReadOnlyApiCall('POST', 'https://x/api/v1/process')).toBe(true);
    expect(isReadOnlyApiCall('POST', '/api/v1/catalog/1.0.0/search')).toBe(true);
    expect(isReadOnlyApiCall('POST', '/api/v1/statistics')).toBe(true);
    expect(isReadOnlyApiCall('POST', '/api/v2/batch/process')).toBe(false);
    expect(isReadOnlyApiCall('GET', '/api/v1/process')).toBe(false);
  });
});
