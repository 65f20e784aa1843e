import { isRequestMethod, methodSendsBody, REQUEST_METHODS } from '../../../nodes/core/http/request-methods';

describe('the methods of a custom request', () => {
  test('six methods are offered; anything else is not one', () => {
    expect([...REQUEST_METHODS].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']);
    for (const method of REQUEST_METHODS) expect(isRequestMethod(method)).toBe(true);
    for (const method of ['OPTIONS', 'TRACE', 'CONNECT', 'get', '']) expect(isRequestMethod(method)).toBe(false);
  });

  test('every method but GET and HEAD sends its body, in any case', () => {
    expect(REQUEST_METHODS.filter(methodSendsBody)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE']);
    expect(methodSendsBody('get')).toBe(false);
    expect(methodSendsBody('head')).toBe(false);
    expect(methodSendsBody('patch')).toBe(true);
  });
});
