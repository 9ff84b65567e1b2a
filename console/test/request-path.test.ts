/** The one place request targets are decoded: malformed ones are the client's 400, not a 500. */
import { describe, expect, it } from 'vitest';
import { HttpError } from '../src/server/http-json.js';
import { readRequestPath } from '../src/server/request-path.js';

function refusal(target: string): HttpError | undefined {
  try {
    readRequestPath(target);
    return undefined;
  } catch (e) {
    return e as HttpError;
  }
}

describe('readRequestPath', () => {
  it('decodes well-formed paths and keeps the encoded pathname for routing', () => {
    expect(readRequestPath('/room/caf%C3%A9?x=1')).toMatchObject({ path: '/room/café' });
    expect(readRequestPath('/api/crew?room=r').url.pathname).toBe('/api/crew');
    expect(readRequestPath('/api/crew?room=r').url.searchParams.get('room')).toBe('r');
    // "//host" in origin-form is a path, not a host.
    expect(readRequestPath('//evil.example/x').path).toBe('//evil.example/x');
    expect(readRequestPath('http://console.example/assets/a.js').path).toBe('/assets/a.js');
    expect(readRequestPath(undefined).path).toBe('/');
  });

  it('answers malformed %-escapes and non-URLs with a 400 bad_request', () => {
    for (const target of [
      '/%zz',
      '/%E0%A4%A',
      '/api/%zz',
      '/assets/%zz',
      '/%',
      '/a%2',
      '/%C0%AF',
      '/%ED%A0%80',
    ]) {
      const e = refusal(target);
      expect(e, target).toBeInstanceOf(HttpError);
      expect(e?.status).toBe(400);
      expect(e?.code).toBe('bad_request');
      expect(e?.message).toMatch(/malformed %-escape/);
    }
    expect(refusal('/%00')?.message).toMatch(/NUL/);
    for (const target of ['http://[', '*', 'http://']) expect(refusal(target)?.status, target).toBe(400);
  });
});
