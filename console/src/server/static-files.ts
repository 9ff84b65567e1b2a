/**
 * The built page (console/dist/web): files by their decoded path, confined to that directory;
 * client-side routes (e.g. /room/x) get index.html, missing assets are real 404s.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, SECURITY_HEADERS } from './http-json.js';

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface StaticFiles {
  /** Whether the page has been built (the API works either way). */
  built(): boolean;
  /** Answers a GET/HEAD for `path`, already %-decoded (see request-path.ts). */
  serve(path: string, res: ServerResponse): Promise<void>;
}

export function staticFiles(dir: string): StaticFiles {
  const root = dir.endsWith(sep) ? dir : dir + sep;
  return {
    built: () => existsSync(join(dir, 'index.html')),
    async serve(path, res) {
      const rel = normalize(path).replace(/^([/\\])+/, '');
      let file = join(dir, rel);
      if (!file.startsWith(root) && file !== dir) throw new HttpError(404, 'not_found', 'not found');
      const isFile = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isFile) {
        if (rel.startsWith('assets/')) throw new HttpError(404, 'not_found', `no asset ${path}`);
        file = join(dir, 'index.html');
      }
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        throw new HttpError(
          503,
          'internal',
          `the console page is not built (${dir} is missing): run pnpm --filter @roomcrew/console build`,
        );
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      res.end(body);
    },
  };
}
