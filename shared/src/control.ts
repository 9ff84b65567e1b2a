/** Payloads of the `crew.control.*` RPCs. */
import { z } from 'zod';

/** Sampling rates of the vision agent; omitted fields stay as they are. */
export const visionControlSchema = z
  .object({
    screenFps: z.number().min(0).max(30).optional(),
    cameraFps: z.number().min(0).max(30).optional(),
    idleFps: z.number().min(0).max(30).optional(),
    /** Follow screen shares only (the heaviest shedding step). */
    screenOnly: z.boolean().optional(),
  })
  .strict();
export type VisionControl = z.infer<typeof visionControlSchema>;
