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

/** RPCs that take no arguments (`crew.ping`, `crew.control.stats`): empty or `{}`, nothing else. */
export const emptyRequestSchema = z.object({}).strict();

/** `crew.transcript.get`: a page of the session transcript after sequence number `after`. */
export const transcriptPageRequestSchema = z
  .object({
    after: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(200).default(100),
  })
  .strict();
export type TranscriptPageRequest = z.infer<typeof transcriptPageRequestSchema>;
