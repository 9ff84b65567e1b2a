/** What a crew-orchestrator job should bring, from its job metadata, and the dispatch API. */
import {
  type CrewJobMetadata,
  crewJobMetadataSchema,
  LIVEKIT_ENV,
  memberMetadataOf,
  parseJobMetadata,
  readConfig,
  serverApiUrl,
} from '@roomcrew/shared';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import type { DispatchApi } from './crew-dispatcher.js';

export interface CrewPlan {
  crew: CrewJobMetadata;
  /** Metadata for each member's dispatch. */
  memberMetadata: string;
  /** Why the job metadata was not used, when it was malformed. */
  problem?: string;
}

export function crewPlan(jobMetadata: string | undefined, orchestratorIdentity: string): CrewPlan {
  const meta = parseJobMetadata(crewJobMetadataSchema, jobMetadata);
  const crew = meta.ok ? meta.value : crewJobMetadataSchema.parse({});
  const memberMetadata = memberMetadataOf(crew, orchestratorIdentity);
  return { crew, memberMetadata, ...(meta.ok ? {} : { problem: meta.error }) };
}

export function dispatchApi(): DispatchApi {
  const { LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET } = readConfig(LIVEKIT_ENV);
  const url = serverApiUrl(LIVEKIT_URL);
  return {
    dispatch: new AgentDispatchClient(url, LIVEKIT_API_KEY, LIVEKIT_API_SECRET),
    rooms: new RoomServiceClient(url, LIVEKIT_API_KEY, LIVEKIT_API_SECRET),
  };
}
