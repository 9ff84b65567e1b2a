// The audit modules also share helpers among themselves: only their public names are re-exported.
export * from './audit-key.js';
export * from './audit-lock.js';
export * from './audit-log.js';
export {
  AUDIT_KINDS,
  type AuditEntry,
  type AuditKind,
  type AuditRecord,
  auditHeadPath,
  auditLockPath,
  auditPath,
  auditRecordSchema,
} from './audit-record.js';
export {
  AUDIT_PROBLEMS,
  type AuditProblem,
  type AuditProblemReason,
  type AuditReadout,
  type ReadAuditOptions,
  readAudit,
} from './audit-verify.js';
export * from './binaries.js';
export * from './bounded-stream.js';
export * from './config.js';
export * from './control.js';
export * from './crew.js';
export * from './escalations.js';
export * from './events.js';
export * from './limits.js';
export * from './livekit-conventions.js';
export * from './logger.js';
export * from './operator-role.js';
export * from './parse-event.js';
export * from './ports.js';
export * from './result.js';
export * from './rpc.js';
export * from './tokens.js';
export * from './transcript-file.js';
export * from './validate-event.js';
