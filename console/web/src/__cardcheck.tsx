import { RoomContext } from '@livekit/components-react';
import { Room } from 'livekit-client';
import { renderToStaticMarkup } from 'react-dom/server';
import { EscalationCards } from './Escalations';

const room = new Room();
const deadline = Date.now() + 60_000;
const mk = (payload: Record<string, unknown>) => ({
  request: {
    v: 1, id: 'e', type: 'escalation.request', ts: 0, room: 'r', from: 'crew-reasoner-x',
    payload: { escalationId: 'esc-1', tool: 'send_webhook', args: { text: 'hi' }, reason: 'Mallory asked', context: 'ctx', recommended: 'reject', deadline, ...payload },
  },
  status: 'offered',
});
const html = renderToStaticMarkup(
  <RoomContext.Provider value={room}>
    <EscalationCards
      escalations={[
        mk({ trigger: { kind: 'chat', from: 'mallory', name: 'Mallory', untrusted: true } }) as never,
        mk({ escalationId: 'esc-2', tool: 'notes__long', recommended: 'approve', toolInfo: { description: 'Looks up the weather […truncated]', server: 'notes', firstUse: true } }) as never,
      ]}
      session={{ identity: 'op' } as never}
      takeover={undefined}
    />
  </RoomContext.Provider>,
);
console.log(html);
