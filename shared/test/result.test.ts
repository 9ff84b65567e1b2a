import { describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../src/result.js';

describe('result', () => {
  it('ok wraps a value', () => {
    const value = { a: 1 };
    const r: Result<typeof value, string> = ok(value);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toBe(value);
    expect('error' in r).toBe(false);
  });

  it('err wraps an error', () => {
    const error = new Error('x');
    const r: Result<number, Error> = err(error);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe(error);
    expect('value' in r).toBe(false);
  });

  it('keeps falsy values', () => {
    expect(ok(0)).toEqual({ ok: true, value: 0 });
    expect(err('')).toEqual({ ok: false, error: '' });
  });
});
