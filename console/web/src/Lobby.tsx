import { type FormEvent, useState } from 'react';
import type { ConsoleConfig, TokenResponse } from '../../src/api';
import { ROOM_NAME } from '../../src/api';
import { api } from './api';
import { Logo } from './Logo';

const params = new URLSearchParams(location.search);

export function Lobby({ config, onJoin }: { config: ConsoleConfig; onJoin: (t: TokenResponse) => void }) {
  const [name, setName] = useState(params.get('name') ?? localStorage.getItem('roomcrew.name') ?? '');
  const [room, setRoom] = useState(params.get('room') ?? config.defaultRoom);
  const [operator, setOperator] = useState(params.get('operator') === '1');
  const [passcode, setPasscode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ROOM_NAME.test(room)) {
      setError('Room names use letters, digits, dots, dashes and underscores.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const t = await api.token({ room, name: name.trim(), operator, ...(operator ? { passcode } : {}) });
      localStorage.setItem('roomcrew.name', name.trim());
      onJoin(t);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className="rc-lobby">
      <form className="rc-card rc-join" onSubmit={submit} aria-label="Join a call">
        <Logo />
        <h1>Join a call with the crew</h1>
        <p className="rc-muted">
          AI agents take notes, caption and watch the room. Operators approve what they do.
        </p>
        <label>
          Your name
          <input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Ada Lovelace"
            maxLength={64}
            required
          />
        </label>
        <label>
          Room
          <input name="room" value={room} onChange={(e) => setRoom(e.target.value)} maxLength={64} required />
        </label>
        {config.operatorSignIn && (
          <label className="rc-check">
            <input
              type="checkbox"
              name="operator"
              checked={operator}
              onChange={(e) => setOperator(e.target.checked)}
            />
            Join as operator
          </label>
        )}
        {operator && (
          <label>
            Operator passcode
            <input
              name="passcode"
              type="password"
              value={passcode}
              onChange={(e) => setPasscode(e.target.value)}
              autoComplete="current-password"
              required
            />
          </label>
        )}
        {error && (
          <p className="rc-error" role="alert">
            {error}
          </p>
        )}
        <button className="rc-primary" type="submit" disabled={busy || !name.trim()}>
          {busy ? 'Joining…' : 'Join with camera and microphone'}
        </button>
      </form>
    </main>
  );
}
