/** The page's calls to its own server (tokens, crew controls); errors carry the server's message. */
import type { ApiError, ConsoleConfig, CrewStatus, TokenRequest, TokenResponse } from '../../src/api';

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init: RequestInit = {}, session?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.body) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session}`;
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiCallError(0, 'network', 'the console server cannot be reached');
  }
  const body = (await res.json().catch(() => undefined)) as T | ApiError | undefined;
  if (!res.ok) {
    const e = (body as ApiError | undefined)?.error;
    throw new ApiCallError(res.status, e?.code ?? 'http', e?.message ?? `request failed (${res.status})`);
  }
  return body as T;
}

export const api = {
  config: () => call<ConsoleConfig>('/api/config'),
  token: (req: TokenRequest) =>
    call<TokenResponse>('/api/token', { method: 'POST', body: JSON.stringify(req) }),
  crew: (room: string, session: string) =>
    call<CrewStatus>(`/api/crew?room=${encodeURIComponent(room)}`, {}, session),
  dispatch: (room: string, session: string) =>
    call<{ dispatchId: string; created: boolean }>(
      '/api/crew/dispatch',
      { method: 'POST', body: JSON.stringify({ room }) },
      session,
    ),
  remove: (room: string, identity: string, session: string) =>
    call<{ removed: string }>(
      '/api/crew/remove',
      { method: 'POST', body: JSON.stringify({ room, identity }) },
      session,
    ),
};
