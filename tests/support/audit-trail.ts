/** A small, real audit trail for tests of the readers (`roomcrew audit`, readAudit). */
import { AuditLog, type AuditLogOptions } from '@roomcrew/shared';

/** Room `standup` in `dataDir`: a request (#0), its approval (#1) and the tool's result (#2). */
export function writeStandupTrail(dataDir: string, opts: AuditLogOptions): void {
  const log = new AuditLog(dataDir, 'standup', opts);
  log.append({
    kind: 'escalation.request',
    actor: 'agent-1',
    escalationId: 'esc-1',
    detail: { tool: 'send_webhook' },
  });
  log.append({
    kind: 'escalation.decision',
    actor: 'op-1',
    escalationId: 'esc-1',
    detail: { decision: 'approve' },
  });
  log.append({ kind: 'tool.result', actor: 'agent-1', callId: 'c1', detail: { status: 'ok' } });
  log.close();
}
