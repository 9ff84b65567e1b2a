// Imported first by main.tsx, before any schema is built: the page's CSP forbids eval, so zod
// must not probe for it (the probe only logs a CSP violation; zod works without eval).
import { z } from 'zod';

z.config({ jitless: true });
