import { Readable } from 'node:stream';
import { readCapped } from '../../../nodes/core/http/response-body';

describe('readCapped', () => {
  it('reads a short body whole', async () => {
    const body = Readable.from([Buffer.from('{"error":'), Buffer.from('"invalid_client"}')]);
    const read = await readCapped(body, 1024);
    expect(read).toEqual({ bytes: Buffer.from('{"error":"invalid_client"}'), truncated: false });
  });

  it('stops past the limit, keeps the first bytes and lets go of the rest', async () => {
    let pulled = 0;
    const body = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(100, 'a'));
      },
    });
    const read = await readCapped(body, 250);
    expect(read.truncated).toBe(true);
    expect(read.bytes.length).toBe(250);
    expect(body.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  it('keeps what arrived before a body broke off, with the error beside it', async () => {
    const cut = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const body = new Readable({ read() {} });
    body.push(Buffer.from('partial '));
    setImmediate(() => body.destroy(cut));
    const read = await readCapped(body, 1024);
    expect(read.bytes.toString()).toBe('partial ');
    expect(read.truncated).toBe(false);
    expect(read.broken?.error).toBe(cut);
  });
});
