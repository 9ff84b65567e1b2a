import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { findExecutable, MissingBinaryError, SETUP_COMMAND } from '../src/binaries.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'roomcrew-bin-'));
  writeFileSync(join(dir, 'crew-tool'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'crew-tool'), 0o755);
  writeFileSync(join(dir, 'crew-data'), 'not a program\n');
  chmodSync(join(dir, 'crew-data'), 0o644);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function missing(fn: () => unknown): MissingBinaryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MissingBinaryError);
    return e as MissingBinaryError;
  }
  throw new Error('expected MissingBinaryError, nothing was thrown');
}

describe('findExecutable', () => {
  it('finds sh on PATH', () => {
    const sh = findExecutable('sh', SETUP_COMMAND);
    expect(isAbsolute(sh)).toBe(true);
    expect(sh.endsWith('/sh')).toBe(true);
    expect(() => accessSync(sh, constants.X_OK)).not.toThrow();
    expect(statSync(sh).isFile()).toBe(true);
  });

  it('searches the PATH directories in order', () => {
    vi.stubEnv('PATH', ['/nonexistent-dir', dir, process.env.PATH ?? ''].join(':'));
    expect(findExecutable('crew-tool', 'hint')).toBe(join(dir, 'crew-tool'));
  });

  it('skips files on PATH that are not executable', () => {
    vi.stubEnv('PATH', dir);
    const e = missing(() => findExecutable('crew-data', 'hint'));
    expect(e.binary).toBe('crew-data');
  });

  it('ignores empty PATH entries (they do not mean the current directory)', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      vi.stubEnv('PATH', `:${tmpdir()}`);
      missing(() => findExecutable('crew-tool', 'hint'));
      vi.stubEnv('PATH', '');
      missing(() => findExecutable('sh', 'hint'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('throws MissingBinaryError with the install hint for a missing binary', () => {
    const hint = 'apt-get install -y roomcrew-nonexistent-tool';
    const e = missing(() => findExecutable('roomcrew-nonexistent-tool-xyz', hint));
    expect(e.name).toBe('MissingBinaryError');
    expect(e.binary).toBe('roomcrew-nonexistent-tool-xyz');
    expect(e.installHint).toBe(hint);
    expect(e.message).toContain('roomcrew-nonexistent-tool-xyz');
    expect(e.message).toContain(hint);
  });

  it('returns an executable absolute path as is', () => {
    expect(findExecutable(process.execPath, 'hint')).toBe(process.execPath);
    expect(findExecutable(join(dir, 'crew-tool'), 'hint')).toBe(join(dir, 'crew-tool'));
  });

  it('rejects a path that is missing or not executable', () => {
    expect(missing(() => findExecutable(join(dir, 'nope'), SETUP_COMMAND)).message).toContain(SETUP_COMMAND);
    missing(() => findExecutable(join(dir, 'crew-data'), 'hint'));
    missing(() => findExecutable('./definitely-not-here/tool', 'hint'));
  });
});

describe('findExecutable and directories', () => {
  it('does not take a directory for an executable', () => {
    expect(() => findExecutable(dir, 'hint')).toThrow(MissingBinaryError);
  });
});
