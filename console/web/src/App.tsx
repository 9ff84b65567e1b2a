import { useEffect, useState } from 'react';
import type { ConsoleConfig, TokenResponse } from '../../src/api';
import { api } from './api';
import { Call } from './Call';
import { Lobby } from './Lobby';

export function App() {
  const [config, setConfig] = useState<ConsoleConfig>();
  const [error, setError] = useState<string>();
  const [session, setSession] = useState<TokenResponse>();

  useEffect(() => {
    api.config().then(setConfig, (e: Error) => setError(e.message));
  }, []);

  if (error) return <div className="rc-fatal">{error}</div>;
  if (!config) return <div className="rc-fatal">Loading…</div>;
  if (!session) return <Lobby config={config} onJoin={setSession} />;
  return <Call session={session} onLeave={() => setSession(undefined)} />;
}
