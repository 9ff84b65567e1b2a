/** The orchestrator's own settings (README, Configuration). */
import { AUDIT_ENV, DATA_ENV, type EnvSpec, ESCALATION_FALLBACKS, readConfig } from '@roomcrew/shared';
import { z } from 'zod';

export const ORCHESTRATOR_ENV = {
  ...DATA_ENV,
  // Keys the audit trail's MACs; unset: a key file in CREW_DATA_DIR/keys (README, Configuration).
  ...AUDIT_ENV,
  CREW_ESCALATION_FALLBACK: {
    schema: z.enum(ESCALATION_FALLBACKS).default('reject'),
    expect: 'what an escalation nobody decided before its deadline becomes: reject (default) or approve',
  },
} satisfies EnvSpec;

export const orchestratorConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(ORCHESTRATOR_ENV, env);
