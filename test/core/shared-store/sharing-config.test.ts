import { redisAddress, sharingConfig } from '../../../nodes/core/shared-store/sharing-config';

describe('which Redis, from the environment', () => {
  it('nothing set: this process only, as before sharing existed', () => {
    expect(sharingConfig({})).toEqual({ mode: 'local' });
    expect(sharingConfig({ EO_REDIS_URL: '   ' })).toEqual({ mode: 'local' });
  });

  it('EO_REDIS_URL with user, password and database', () => {
    const config = sharingConfig({ EO_REDIS_URL: 'redis://eo:p%40ss@cache.internal:6390/3' });
    expect(config).toEqual({
      mode: 'redis',
      redis: { host: 'cache.internal', port: 6390, db: 3, username: 'eo', password: 'p@ss', tls: false, source: 'EO_REDIS_URL' },
    });
  });

  it('rediss:// is TLS; port and database default to 6379 and 0; IPv6 hosts lose their brackets', () => {
    const config = sharingConfig({ EO_REDIS_URL: 'rediss://[::1]' });
    expect(config).toMatchObject({ mode: 'redis', redis: { host: '::1', port: 6379, db: 0, tls: true } });
    if (config.mode === 'redis') expect(redisAddress(config.redis)).toBe('[::1]:6379');
  });

  it("n8n queue mode without EO_REDIS_URL uses n8n's own Redis settings, with n8n's defaults", () => {
    expect(sharingConfig({ EXECUTIONS_MODE: 'queue' })).toEqual({
      mode: 'redis',
      redis: { host: 'localhost', port: 6379, db: 0, username: undefined, password: undefined, tls: false, source: 'QUEUE_BULL_REDIS_*' },
    });
    expect(
      sharingConfig({
        EXECUTIONS_MODE: 'queue',
        QUEUE_BULL_REDIS_HOST: 'redis',
        QUEUE_BULL_REDIS_PORT: '6380',
        QUEUE_BULL_REDIS_USERNAME: 'n8n',
        QUEUE_BULL_REDIS_PASSWORD: 'secret',
        QUEUE_BULL_REDIS_DB: '2',
        QUEUE_BULL_REDIS_TLS: 'true',
        QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
      }),
    ).toEqual({
      mode: 'redis',
      redis: {
        host: 'redis',
        port: 6380,
        db: 2,
        username: 'n8n',
        password: 'secret',
        tls: true,
        rejectUnauthorized: false,
        source: 'QUEUE_BULL_REDIS_*',
      },
    });
  });

  it('EO_REDIS_URL wins over n8n\'s settings, and "off" turns sharing off even in queue mode', () => {
    const env = { EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: 'n8n-redis' };
    expect(sharingConfig({ ...env, EO_REDIS_URL: 'redis://other:7000' })).toMatchObject({ redis: { host: 'other', port: 7000 } });
    expect(sharingConfig({ ...env, EO_REDIS_URL: 'off' })).toEqual({ mode: 'local' });
  });

  it.each([
    ['http://cache:6379', /must start with redis:\/\/ or rediss:\/\//],
    ['not a url', /is not a URL/],
    ['redis://cache:99999', /(port|not a URL)/],
    ['redis://cache:6379/x', /database number/],
  ])('a malformed EO_REDIS_URL (%s) turns sharing off and says what to write', (url, problem) => {
    const config = sharingConfig({ EO_REDIS_URL: url });
    expect(config.mode).toBe('invalid');
    if (config.mode === 'invalid') {
      expect(config.problem).toMatch(problem);
      expect(config.problem).toContain('redis://[user:password@]host:port[/db]');
    }
  });

  it('the problem never repeats the URL, which may hold a password', () => {
    const config = sharingConfig({ EO_REDIS_URL: 'redis://user:hunter2-secret@cache:6379/notanumber' });
    expect(config.mode).toBe('invalid');
    expect(JSON.stringify(config)).not.toContain('hunter2-secret');
  });

  it('a Redis cluster (QUEUE_BULL_REDIS_CLUSTER_NODES) is not supported yet, and says so', () => {
    const config = sharingConfig({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_CLUSTER_NODES: 'a:1,b:2' });
    expect(config).toMatchObject({ mode: 'invalid', problem: expect.stringMatching(/cluster.*EO_REDIS_URL/) });
  });
});
