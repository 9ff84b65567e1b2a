/**
 * The one place the server parses and decodes a request's target. A target that is not a URL, or a
 * path with a malformed %-escape (`/%zz`, a truncated or non-UTF-8 sequence), is the client's
 * mistake: a 400, never an exception that reaches the error log.
 */
import { HttpError } from './http-json.js';

export interface RequestPath {
  /** The parsed target; API routes match its (still encoded) pathname, handlers read its query. */
  url: URL;
  /** The pathname with its %-escapes decoded, for file look-ups. */
  path: string;
}

const BASE = 'http://console.local';

export function readRequestPath(target: string | undefined): RequestPath {
  const raw = target || '/';
  let url: URL;
  try {
    // Origin-form ("/a?b") is appended to a fixed base, so "//x/y" stays a path instead of naming
    // a host; absolute-form ("http://h/a", legal in HTTP/1.1) is parsed as it is.
    url = new URL(raw.startsWith('/') ? `${BASE}${raw}` : raw);
  } catch {
    throw new HttpError(400, 'bad_request', 'the request target is not a valid URL path');
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(
      400,
      'bad_request',
      `the path ${JSON.stringify(url.pathname.slice(0, 200))} has a malformed %-escape ` +
        '(expected %XX with two hex digits, forming valid UTF-8)',
    );
  }
  if (path.includes('\0')) throw new HttpError(400, 'bad_request', 'the path contains a NUL character');
  return { url, path };
}
