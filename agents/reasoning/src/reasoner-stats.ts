/** The reasoner's counters for one room (logged when it stops). */
export interface ReasonerStats {
  inputs: number;
  /** Inputs dropped because the reasoner fell behind. */
  dropped: number;
  thoughts: number;
  /** Thoughts held back while an operator had taken over. */
  silenced: number;
  tools: number;
  escalations: number;
  refused: number;
  /** Refusals because one source's content had used its per-minute budget (also in `refused`). */
  rateLimited: number;
}

export const newStats = (): ReasonerStats => ({
  inputs: 0,
  dropped: 0,
  thoughts: 0,
  silenced: 0,
  tools: 0,
  escalations: 0,
  refused: 0,
  rateLimited: 0,
});
