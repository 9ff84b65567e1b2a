/**
 * `roomcrew audit --room R [--json]`: prints a room's audit trail and says whether it is intact
 * (keyed MACs, continuous sequence numbers, nothing cut from either end). Exit 3 when it is not,
 * naming each problem and where it is; 2 when the key to check it is missing or bad.
 */
import { resolve } from 'node:path';
import { AUDIT_ENV, type AuditProblem, auditPath, DATA_ENV, readAudit, readConfig } from '@roomcrew/shared';

/** Distinct from 1 (could not run: no trail, I/O error) so scripts can tell tampering apart. */
export const EXIT_AUDIT_NOT_INTACT = 3;

interface Out {
  write(s: string): unknown;
}

export async function auditCommand(
  room: string,
  json: boolean,
  env: NodeJS.ProcessEnv = process.env,
  out: Out = process.stdout,
  err: Out = process.stderr,
): Promise<number> {
  const cfg = readConfig({ ...DATA_ENV, ...AUDIT_ENV }, env);
  const dataDir = resolve(cfg.CREW_DATA_DIR);
  const path = auditPath(dataDir, room);
  const trail = await readAudit(dataDir, room, { key: cfg.CREW_AUDIT_KEY, env });
  if (trail.records.length === 0 && trail.verdict === 'intact') {
    throw new Error(`no audit trail for room "${room}" at ${path}`);
  }
  for (const r of trail.records) {
    out.write(
      json
        ? `${JSON.stringify(r)}\n`
        : `${new Date(r.ts).toISOString()}  #${r.seq} ${r.kind} by ${r.actor}${r.escalationId ? ` [${r.escalationId}]` : ''}${r.callId ? ` [${r.callId}]` : ''}  ${JSON.stringify(r.detail)}\n`,
    );
  }
  if (trail.verdict === 'intact') return 0;
  if (trail.verdict === 'legacy') {
    err.write(
      `roomcrew audit: the audit trail of room "${room}" (${path}) is an unkeyed legacy trail, written before ` +
        'records carried MACs: anyone who could write the file could have rewritten it, so it cannot be shown ' +
        'intact. The next writer of the room moves it aside and starts a keyed trail.\n',
    );
  } else {
    err.write(
      `roomcrew audit: the audit trail of room "${room}" is NOT intact (${path}): ${trail.problems.length} problem(s)\n`,
    );
  }
  for (const p of trail.problems) err.write(`  - ${describe(p)}\n`);
  return EXIT_AUDIT_NOT_INTACT;
}

function describe(p: AuditProblem): string {
  const at = p.seq !== undefined ? ` at #${p.seq}` : p.line !== undefined ? ` at line ${p.line}` : '';
  const recorded =
    p.recordedAt !== undefined ? ` (found and recorded by the writer in #${p.recordedAt})` : '';
  return `${p.reason}${at}: ${p.message}${recorded}`;
}
