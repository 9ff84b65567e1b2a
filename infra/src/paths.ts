import { fileURLToPath } from 'node:url';

/** The repository root (infra/dist/ → ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOOLS_BIN = `${REPO_ROOT}.tools/bin`;
export const DEMO_CONFIG = `${REPO_ROOT}livekit.yaml`;
