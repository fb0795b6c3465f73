/**
 * The client's API keys: named by the scenario (an environment variable or a file), read once
 * before the run starts so a missing key fails at once, and kept out of everything the run
 * writes — manifest, logs, errors — by the redaction helpers here.
 */

import { readFileSync } from 'node:fs';
import { redact } from '../load/failures.ts';
import { inputError, ioReason } from '../util/errors.ts';
import type { ResolvedScenario, ResolvedVariant } from './scenario/resolve.ts';

/** Printable ASCII without spaces: anything else would corrupt the Authorization header. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

function checked(key: string, where: string): string {
  if (key === '') throw inputError(`${where} is empty: put the API key in it`);
  if (!KEY_PATTERN.test(key)) {
    throw inputError(`${where} holds spaces or control characters: it must be the key alone`);
  }
  return key;
}

/** The key a variant sends as `Authorization: Bearer …`, or null when it sends none. */
export function readApiKey(v: ResolvedVariant, env: NodeJS.ProcessEnv): string | null {
  if (v.apiKeyFile) {
    let text: string;
    try {
      text = readFileSync(v.apiKeyFile, 'utf8');
    } catch (err) {
      throw inputError(
        `apiKeyFile: cannot read ${v.apiKeyFile} (variant '${v.name}'): ${ioReason(err)}`,
      );
    }
    return checked(text.trim(), `apiKeyFile ${v.apiKeyFile} (variant '${v.name}')`);
  }
  if (!v.apiKeyEnv) return null;
  const key = env[v.apiKeyEnv];
  if (key === undefined || key === '') {
    throw inputError(
      `apiKeyEnv: the environment variable ${v.apiKeyEnv} is not set (variant '${v.name}')`,
    );
  }
  return checked(key.trim(), `the environment variable ${v.apiKeyEnv} (variant '${v.name}')`);
}

/** Every variant's key by variant name; throws for the first missing or unusable one. */
export function readApiKeys(
  resolved: ResolvedScenario,
  env: NodeJS.ProcessEnv,
): Map<string, string | null> {
  return new Map(resolved.variants.map((v) => [v.name, readApiKey(v, env)]));
}

/** Keys in `text` replaced by `[redacted]`. */
export const redactText = (text: string, secrets: readonly string[]) => redact(text, [...secrets]);

/** A JSON-able value with every key inside any of its strings replaced by `[redacted]`. */
export function redactJson<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  // Keys as they appear inside JSON strings (a `"` or `\` in a key is escaped there).
  const escaped = secrets.map((s) => JSON.stringify(s).slice(1, -1));
  return JSON.parse(redact(JSON.stringify(value), escaped)) as T;
}
