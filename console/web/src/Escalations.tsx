import { useRoomContext } from '@livekit/components-react';
import {
  type DecideRequest,
  decideRequestSchema,
  type EscalationTrigger,
  RPC,
  type TakeoverState,
} from '@roomcrew/shared/contracts';
import { useEffect, useState } from 'react';
import type { TokenResponse } from '../../src/api';
import type { CrewRoomState, Escalation } from './crew-room';
import { agentLabel, agentNameOf, displayName } from './crew-room';
import { callOrchestrator } from './rpc';

/** Open escalations, pinned above the tabs so an operator never misses one. */
export function EscalationCards({
  escalations,
  session,
  takeover,
}: {
  escalations: Escalation[];
  session: TokenResponse;
  takeover: TakeoverState | undefined;
}) {
  const open = escalations.filter((e) => !e.decision);
  return (
    <section className="rc-escalations" aria-label="Escalations">
      <div className="rc-section-head">
        <h2>
          Needs your decision
          {open.length ? <span className="rc-count rc-count-alert">{open.length}</span> : null}
        </h2>
        <TakeoverButton session={session} takeover={takeover} />
      </div>
      {open.length === 0 ? (
        <p className="rc-empty rc-empty-small">
          Nothing waiting. The crew asks here before anything with consequences.
        </p>
      ) : (
        open.map((e) => <EscalationCard key={e.request.payload.escalationId} escalation={e} />)
      )}
    </section>
  );
}

function useNow(ms = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What a person did to put the content in front of the crew. */
const VERB: Record<EscalationTrigger['kind'], string> = {
  speech: 'said',
  chat: 'wrote',
  ocr: 'showed',
  vision: 'showed',
  model: 'showed',
  operator: 'asked',
  system: 'did',
};

/** The provenance warning of an escalation caused by people's content (issue 10). */
function UntrustedWarning({ trigger }: { trigger: EscalationTrigger }) {
  const room = useRoomContext();
  // The name the room knows now, else the one the crew saw (the person may have left).
  const present = trigger.from ? room.getParticipantByIdentity(trigger.from) : undefined;
  const who =
    present && trigger.from ? displayName(room, trigger.from) : trigger.name || trigger.from || 'someone';
  return (
    <p
      className="rc-banner rc-untrusted"
      data-trigger={trigger.kind}
      data-from={trigger.from}
      title={`${trigger.kind} from ${trigger.from ?? 'an unknown participant'}`}
    >
      Triggered by what <strong>{who}</strong> {VERB[trigger.kind]} — untrusted content. Check what it would
      do before approving.
    </p>
  );
}

function EscalationCard({ escalation }: { escalation: Escalation }) {
  const room = useRoomContext();
  const { request, status } = escalation;
  const p = request.payload;
  const original = JSON.stringify(p.args, null, 2);
  const [argsText, setArgsText] = useState(original);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const now = useNow();
  const left = p.deadline - now;
  const requester = room.getParticipantByIdentity(request.from);
  const who = requester ? agentLabel(agentNameOf(requester)) : request.from;

  let args: Record<string, unknown> | undefined;
  let argsError: string | undefined;
  try {
    const parsed: unknown = JSON.parse(argsText);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      args = parsed as Record<string, unknown>;
    else argsError = 'Arguments must be a JSON object.';
  } catch {
    argsError = 'Arguments are not valid JSON.';
  }
  const edited = args !== undefined && JSON.stringify(args) !== JSON.stringify(p.args);

  const decide = async (decision: 'approve' | 'reject') => {
    const req: DecideRequest = {
      escalationId: p.escalationId,
      decision,
      ...(decision === 'approve' && edited && args ? { args } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    };
    const valid = decideRequestSchema.safeParse(req);
    if (!valid.success) {
      setError(valid.error.issues[0]?.message ?? 'invalid decision');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await callOrchestrator(room, RPC.escalationDecide, valid.data);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  const expired = left <= 0 || status === 'expired';
  // People's content asked for this: Approve is never the emphasised (or first) choice.
  const untrusted = p.trigger?.untrusted === true;
  const cautious = untrusted || p.recommended === 'reject';
  return (
    <article className="rc-escalation" data-escalation={p.escalationId} data-status={status}>
      <header>
        <div>
          <span className="rc-muted">{who} wants to run</span> <code className="rc-tool">{p.tool}</code>
        </div>
        <span
          className={`rc-timer${left < 15_000 ? ' rc-timer-low' : ''}`}
          title="Time left before the fallback applies"
        >
          {expired ? 'expired' : countdown(left)}
        </span>
      </header>
      {untrusted && p.trigger && <UntrustedWarning trigger={p.trigger} />}
      {p.toolInfo && (
        <div className="rc-tool-info" data-first-use={p.toolInfo.firstUse}>
          <p className="rc-tool-info-head">
            {p.toolInfo.firstUse ? 'First use in this room of an external tool' : 'External tool'}
            {p.toolInfo.server && (
              <>
                {' '}
                from MCP server <code className="rc-tool-server">{p.toolInfo.server}</code>
              </>
            )}
            . It describes itself as:
          </p>
          <blockquote className="rc-context rc-tool-description">{p.toolInfo.description}</blockquote>
        </div>
      )}
      <p className="rc-reason">{p.reason}</p>
      {p.context && <blockquote className="rc-context">{p.context}</blockquote>}
      <p className="rc-recommend">
        Recommended:{' '}
        <span className={`rc-pill ${p.recommended === 'approve' ? 'rc-pill-ok' : 'rc-pill-rejected'}`}>
          {p.recommended}
        </span>
      </p>
      <label className="rc-field">
        Arguments {edited && <span className="rc-pill rc-pill-edited">edited</span>}
        <textarea
          name="args"
          value={argsText}
          onChange={(e) => setArgsText(e.target.value)}
          rows={Math.min(8, argsText.split('\n').length + 1)}
          spellCheck={false}
        />
      </label>
      {argsError && <p className="rc-error">{argsError}</p>}
      <label className="rc-field">
        Note (optional)
        <input
          name="note"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          maxLength={500}
          placeholder="Why"
        />
      </label>
      {error && (
        <p className="rc-error" role="alert">
          {error}
        </p>
      )}
      <div className="rc-actions">
        <button
          type="button"
          className={cautious ? 'rc-primary' : 'rc-secondary'}
          disabled={busy || expired}
          onClick={() => decide('reject')}
        >
          Reject
        </button>
        <button
          type="button"
          className={cautious ? 'rc-secondary' : 'rc-primary'}
          data-emphasis={cautious ? 'low' : 'high'}
          disabled={busy || expired || Boolean(argsError)}
          onClick={() => decide('approve')}
        >
          {edited ? 'Approve with edits' : 'Approve'}
        </button>
      </div>
    </article>
  );
}

function TakeoverButton({
  session,
  takeover,
}: {
  session: TokenResponse;
  takeover: TakeoverState | undefined;
}) {
  const room = useRoomContext();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const mine = takeover?.operator === session.identity;
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await callOrchestrator(room, mine ? RPC.escalationHandback : RPC.escalationTakeover, {});
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="rc-takeover">
      <button
        type="button"
        className={mine ? 'rc-primary' : 'rc-secondary'}
        disabled={busy || (Boolean(takeover) && !mine)}
        onClick={run}
        title={mine ? 'Let the crew act again' : 'The crew keeps listening but stops speaking and acting'}
      >
        {mine ? 'Hand back' : 'Take over'}
      </button>
      {error && <span className="rc-error">{error}</span>}
    </span>
  );
}

export function DecisionHistory({ decisions }: { decisions: CrewRoomState['decisions'] }) {
  const room = useRoomContext();
  if (decisions.length === 0) return <p className="rc-empty">Decisions on escalations appear here.</p>;
  return (
    <section className="rc-scroll" aria-label="Decision history">
      {[...decisions].reverse().map((d) => (
        <article key={`${d.escalationId}-${d.at}`} className="rc-feed" data-decision={d.decision}>
          <header>
            <span className={`rc-pill ${d.decision === 'approve' ? 'rc-pill-ok' : 'rc-pill-rejected'}`}>
              {d.decision === 'approve' ? 'Approved' : 'Rejected'}
            </span>
            {d.tool && <code>{d.tool}</code>}
            <span className="rc-muted">{new Date(d.at).toLocaleTimeString()}</span>
          </header>
          <p>
            {d.fallback ? 'Deadline passed: fallback applied' : `by ${displayName(room, d.decidedBy)}`}
            {d.args ? ' · with edited arguments' : ''}
          </p>
          {d.note && <blockquote className="rc-context">{d.note}</blockquote>}
        </article>
      ))}
    </section>
  );
}
