/**
 * What the server says about itself: served models (GET /v1/models) and version (GET /version).
 * Both are optional — a router or an older server may lack them — so failures give nulls.
 * Read-only: these two GETs and GET /metrics are all the meter ever sends to a server.
 */

import { request } from 'undici';
import { z } from 'zod';

const ModelsBody = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      root: z.string().nullish(),
      max_model_len: z.number().nullish(),
    }),
  ),
});

const VersionBody = z.object({ version: z.string() });

export interface ServedModel {
  /** The served name (what `model_name` labels carry). */
  id: string;
  /** The checkpoint it was loaded from, when the server says. */
  root: string | null;
  maxModelLen: number | null;
}

export interface ServerInfo {
  models: ServedModel[];
  version: string | null;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await request(url, {
    method: 'GET',
    headers: { accept: 'application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    return null;
  }
  return response.body.json();
}

export async function fetchServerInfo(baseUrl: string, timeoutMs: number): Promise<ServerInfo> {
  const [models, version] = await Promise.allSettled([
    getJson(`${baseUrl}/v1/models`, timeoutMs),
    getJson(`${baseUrl}/version`, timeoutMs),
  ]);
  const parsedModels =
    models.status === 'fulfilled' ? ModelsBody.safeParse(models.value) : undefined;
  const parsedVersion =
    version.status === 'fulfilled' ? VersionBody.safeParse(version.value) : undefined;
  return {
    models: parsedModels?.success
      ? parsedModels.data.data.map((m) => ({
          id: m.id,
          root: m.root ?? null,
          maxModelLen: m.max_model_len ?? null,
        }))
      : [],
    version: parsedVersion?.success ? parsedVersion.data.version : null,
  };
}
