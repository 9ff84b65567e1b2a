/**
 * OCR of screen-share frames with tesseract (Debian tesseract-ocr), fed the luma plane as a PGM
 * image on stdin: text needs no colour, so no conversion happens.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { findExecutable } from '@roomcrew/shared';
import type { LumaSource } from './luma.js';

const INSTALL_HINT = 'apt-get install tesseract-ocr tesseract-ocr-eng (or bash infra/setup.sh)';

export function resolveTesseract(binary = 'tesseract'): string {
  return findExecutable(binary, INSTALL_HINT);
}

export interface OcrResult {
  text: string;
  /** sha256 of the normalized text, so unchanged text is recognisable without resending it. */
  hash: string;
}

export function normalizeOcr(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

export function pgm(frame: LumaSource): Buffer {
  const header = Buffer.from(`P5\n${frame.width} ${frame.height}\n255\n`);
  return Buffer.concat([header, frame.data.subarray(0, frame.width * frame.height)]);
}

export function ocr(binary: string, frame: LumaSource, timeoutMs = 10_000): Promise<OcrResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['stdin', 'stdout', '--psm', '3', '-l', 'eng'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`tesseract took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-500);
    });
    proc.stdin.on('error', () => undefined);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`tesseract exited with code ${code}: ${err.trim()}`));
      const text = normalizeOcr(out);
      resolve({ text, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) });
    });
    proc.stdin.end(pgm(frame));
  });
}
