/**
 * The scenario file: one zod definition that validates YAML input, gives the TypeScript types,
 * and generates schema/scenario.schema.json for editors (scripts/gen-schema.ts). Fields carry
 * their unit in the name; every object is strict so a typo is an error, not a silent default.
 */

import * as z from 'zod';
import { MAX_PLANNED_REQUESTS } from '../../load/schedule.ts';

/** Measure window used when a scenario gives neither measureSeconds nor measureRequests. */
export const DEFAULT_MEASURE_SECONDS = 60;

/** Names that end up in paths and file names: a letter or digit first, no separators. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const name = z
  .string()
  .regex(NAME_PATTERN, 'must be 1–64 letters, digits, ".", "_" or "-", starting with one')
  .meta({ description: 'Used in the results directory name: letters, digits, . _ -' });

const httpUrl = z.url({ protocol: /^https?$/ }).meta({ description: 'http:// or https:// URL' });
const posInt = z.int().positive();
const tokens = z.int().min(1);

const orderedBounds = <T extends { min?: number; max?: number }>(d: T) =>
  d.min === undefined || d.max === undefined || d.min <= d.max;
const boundsMessage = {
  path: ['min'],
  error: (issue: { input: unknown }) => {
    const d = issue.input as { min: number; max: number };
    return `must be ≤ max (got min ${d.min}, max ${d.max})`;
  },
};

/** Token-length distributions; mirrors LengthDist in src/load/types.ts. */
export const lengthDistSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed'), value: tokens }),
    z
      .strictObject({ kind: z.literal('uniform'), min: tokens, max: tokens })
      .refine(orderedBounds, boundsMessage),
    z
      .strictObject({
        kind: z.literal('normal'),
        mean: z.number().positive(),
        stdev: z.number().min(0),
        min: tokens.optional(),
        max: tokens.optional(),
      })
      .refine(orderedBounds, boundsMessage),
    z
      .strictObject({
        kind: z.literal('lognormal'),
        mean: z.number().positive().meta({ description: 'mean length (not of its logarithm)' }),
        stdev: z.number().min(0),
        min: tokens.optional(),
        max: tokens.optional(),
      })
      .refine(orderedBounds, boundsMessage),
    z
      .strictObject({
        kind: z.literal('empirical'),
        file: z.string().min(1).optional().meta({
          description: 'text file with one length per line (# comments), relative to the scenario',
        }),
        values: z.array(tokens).min(1).optional(),
      })
      .refine((d) => (d.file === undefined) !== (d.values === undefined), {
        message: 'give exactly one of file or values',
      }),
  ])
  .meta({ description: 'Token-length distribution: fixed, uniform, normal, lognormal, empirical' });

export const arrivalSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('poisson') }),
    z.strictObject({
      kind: z.literal('gamma'),
      cv: z
        .number()
        .positive()
        .meta({ description: 'coefficient of variation of gaps; 1 = Poisson' }),
    }),
    z.strictObject({ kind: z.literal('constant') }),
    z.strictObject({
      kind: z.literal('trace'),
      file: z.string().min(1).meta({ description: 'CSV or JSONL of send offsets (and lengths)' }),
    }),
  ])
  .meta({ description: 'Arrival process of the open loop' });

export const workloadSchema = z.strictObject({
  promptTokens: lengthDistSchema,
  outputTokens: lengthDistSchema,
  arrival: arrivalSchema.default({ kind: 'poisson' }),
  seed: z.int().min(0).default(1),
  vocabSize: z.int().min(2).optional().meta({
    description: 'completions: send token-id prompts drawn below this vocabulary size',
  }),
  tokenizer: z.string().min(1).optional().meta({
    description: 'local tokenizer.json to measure chat prompt lengths exactly',
  }),
  ignoreEos: z.boolean().default(true),
  pinOutputLength: z.boolean().default(true).meta({
    description: 'send min_tokens = max_tokens so outputs have the planned length',
  }),
  continuousUsage: z.boolean().default(false),
  temperature: z.number().min(0).optional(),
  extraBody: z.record(z.string(), z.unknown()).optional(),
});

const sweepCommon = {
  repeats: posInt.default(1).meta({ description: 'measured repeats of each rate' }),
};
const rate = z.number().positive();

export const sweepSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('list'), rates: z.array(rate).min(1), ...sweepCommon }),
    z
      .strictObject({
        kind: z.literal('linear'),
        start: rate,
        stop: rate,
        step: rate,
        ...sweepCommon,
      })
      .refine((d) => d.start <= d.stop, { message: 'must be ≤ stop', path: ['start'] })
      .refine((d) => (d.stop - d.start) / d.step < 1000, {
        message: 'more than 1000 rates: raise step',
        path: ['step'],
      }),
    z
      .strictObject({
        kind: z.literal('geometric'),
        start: rate,
        stop: rate,
        count: z.int().min(2).max(1000),
        ...sweepCommon,
      })
      .refine((d) => d.start < d.stop, { message: 'must be < stop', path: ['start'] }),
    z
      .strictObject({
        kind: z.literal('auto'),
        start: rate,
        max: rate,
        factor: z.number().gt(1).default(2),
        bisectSteps: z.int().min(0).max(20).default(3),
        saturation: z.number().gt(0).max(1).default(0.9).meta({
          description: 'a step saturates when θ < saturation × offered output tok/s',
        }),
        maxSteps: z.int().min(1).max(200).default(30),
        ...sweepCommon,
      })
      .refine((d) => d.start <= d.max, { message: 'must be ≤ max', path: ['start'] }),
  ])
  .meta({
    description: 'Request rates λ (req/s): list, linear, geometric or auto (find the knee)',
  });

export const stepSchema = z
  .strictObject({
    warmupSeconds: z.number().min(0).default(5),
    measureSeconds: z.number().positive().optional(),
    measureRequests: posInt.optional(),
    drainTimeoutSeconds: z.number().positive().default(60),
    requestTimeoutSeconds: z.number().positive().default(600),
    maxConcurrency: posInt.optional().meta({ description: 'cap in-flight requests (capped loop)' }),
  })
  .refine((d) => d.measureSeconds === undefined || d.measureRequests === undefined, {
    message: 'give measureSeconds or measureRequests, not both',
    path: ['measureRequests'],
  });

const sloBound = z.strictObject({
  percentile: z.number().gt(0).max(100),
  maxMs: z.number().positive(),
});

export const sloSchema = z
  .strictObject({
    ttft: sloBound.optional(),
    tpot: sloBound.optional(),
    itl: sloBound.optional(),
    e2e: sloBound.optional(),
    attainment: z.number().gt(0).max(1).default(0.9).meta({
      description: 'fraction of requests that must meet every bound',
    }),
  })
  .refine((d) => d.ttft || d.tpot || d.itl || d.e2e, {
    message: 'give at least one of ttft, tpot, itl, e2e',
  });

export const pricingSchema = z
  .strictObject({
    gpu: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'GPU class from the catalog, e.g. h100' }),
    gpuHourlyUsd: z.number().positive().optional(),
    gpus: posInt.default(1),
  })
  .refine((d) => d.gpu !== undefined || d.gpuHourlyUsd !== undefined, {
    message: 'give gpu (a catalog class) or gpuHourlyUsd',
  });

export const telemetrySchema = z.strictObject({
  enabled: z.boolean().default(true),
  scrapeIntervalSeconds: z.number().min(0.1).default(1),
  metricsUrl: httpUrl.optional(),
  gpu: z.enum(['auto', 'off']).default('auto').meta({
    description: 'sample nvidia-smi when on PATH (reference only, never the cost basis)',
  }),
});

const argv = z
  .array(z.string().min(1), {
    error: (issue) =>
      issue.code === 'invalid_type' && typeof issue.input === 'string'
        ? 'must be a list of arguments like [vllm, serve, MODEL], not a shell string'
        : undefined,
  })
  .min(1);

const serverTypes = {
  port: z.union([z.int().min(1).max(65535), z.literal('auto')]),
  baseUrl: z.string().min(1),
  readiness: z.string().min(1).meta({
    description: 'path (or URL) that answers 200 once the server is ready',
  }),
  startupTimeoutSeconds: z.number().positive(),
  stopTimeoutSeconds: z.number().positive(),
};

const serverFields = {
  command: argv.meta({ description: 'argv of the server; "{port}" is replaced by the port' }),
  port: serverTypes.port.default('auto'),
  baseUrl: serverTypes.baseUrl.default('http://127.0.0.1:{port}'),
  readiness: serverTypes.readiness.default('/health'),
  startupTimeoutSeconds: serverTypes.startupTimeoutSeconds.default(900),
  stopTimeoutSeconds: serverTypes.stopTimeoutSeconds.default(20),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional().meta({ description: 'relative to the scenario file' }),
};

export const serverSchema = z.strictObject(serverFields);

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');

/** Where the client's API key comes from: never the key itself, which would end up in files. */
const apiKeyFields = {
  apiKeyEnv: envName.optional().meta({
    description: 'name of the environment variable holding the API key (never the key)',
  }),
  apiKeyFile: z.string().min(1).optional().meta({
    description: 'file holding the API key, relative to the scenario (never the key itself)',
  }),
};

const oneKeySource = (d: { apiKeyEnv?: string; apiKeyFile?: string }) =>
  d.apiKeyEnv === undefined || d.apiKeyFile === undefined;
const oneKeyMessage = { message: 'give apiKeyEnv or apiKeyFile, not both', path: ['apiKeyFile'] };

/** A variant overrides any of these for its own run; server fields merge over the top ones. */
export const variantSchema = z
  .strictObject({
    name,
    target: httpUrl.optional(),
    server: z
      .strictObject({
        // No defaults here: a field the variant leaves out keeps the top-level server's value.
        ...serverFields,
        command: serverFields.command.optional(),
        port: serverTypes.port.optional(),
        baseUrl: serverTypes.baseUrl.optional(),
        readiness: serverTypes.readiness.optional(),
        startupTimeoutSeconds: serverTypes.startupTimeoutSeconds.optional(),
        stopTimeoutSeconds: serverTypes.stopTimeoutSeconds.optional(),
      })
      .optional(),
    model: z.string().min(1).optional(),
    api: z.enum(['completions', 'chat']).optional(),
    quantization: z.string().min(1).optional(),
    pricing: pricingSchema.optional(),
    ...apiKeyFields,
    telemetry: telemetrySchema.partial().optional(),
  })
  .refine(oneKeySource, oneKeyMessage);

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name,
    description: z.string().optional(),
    target: httpUrl.optional().meta({ description: 'base URL of a running server' }),
    server: serverSchema.optional().meta({ description: 'start the server for each variant' }),
    model: z.string().min(1).optional().meta({ description: 'default: the one in /v1/models' }),
    api: z.enum(['completions', 'chat']).default('completions'),
    ...apiKeyFields,
    quantization: z.string().min(1).optional().meta({ description: 'label, e.g. fp8' }),
    workload: workloadSchema,
    sweep: sweepSchema,
    step: stepSchema.default({
      warmupSeconds: 5,
      drainTimeoutSeconds: 60,
      requestTimeoutSeconds: 600,
    }),
    slo: sloSchema.optional(),
    pricing: pricingSchema,
    telemetry: telemetrySchema.default({ enabled: true, scrapeIntervalSeconds: 1, gpu: 'auto' }),
    variants: z.array(variantSchema).min(1).optional(),
  })
  .superRefine((s, ctx) => {
    if (!oneKeySource(s)) ctx.addIssue({ code: 'custom', ...oneKeyMessage });
    if (s.target !== undefined && s.server !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['server'],
        message: 'give target or server, not both',
      });
    }
    const variants = s.variants ?? [];
    const seen = new Set<string>();
    variants.forEach((v, i) => {
      if (seen.has(v.name)) {
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: 'duplicate name' });
      }
      seen.add(v.name);
      if (v.target !== undefined && v.server !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'server'],
          message: 'give target or server, not both',
        });
      }
      const hasEndpoint = v.target ?? v.server?.command ?? s.target ?? s.server;
      if (hasEndpoint === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i],
          message: 'no target or server.command here or at the top of the scenario',
        });
      }
    });
    const tooBig = oversizedStep(s);
    if (tooBig) ctx.addIssue({ code: 'custom', ...tooBig });
    if (variants.length === 0 && s.target === undefined && s.server === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give target (URL of a running server) or server (a command that starts one)',
      });
    }
  });

/**
 * The highest rate's step must fit the driver's plan limit; checked here so `--dry-run` refuses
 * what `run` would refuse only after starting the server. The count is the mean number of
 * arrivals (warm-up and measured); a trace has no rate and is checked when it is read.
 */
function oversizedStep(s: {
  workload: { arrival: { kind: string } };
  sweep: z.output<typeof sweepSchema>;
  step: z.output<typeof stepSchema>;
}): { path: PathSegment[]; message: string } | null {
  if (s.workload.arrival.kind === 'trace') return null;
  const sw = s.sweep;
  let rateRps: number;
  let path: PathSegment[];
  if (sw.kind === 'list') {
    rateRps = Math.max(...sw.rates);
    path = ['sweep', 'rates', sw.rates.indexOf(rateRps)];
  } else {
    rateRps = sw.kind === 'auto' ? sw.max : sw.stop;
    path = ['sweep', sw.kind === 'auto' ? 'max' : 'stop'];
  }
  const st = s.step;
  const measured = st.measureRequests ?? rateRps * (st.measureSeconds ?? DEFAULT_MEASURE_SECONDS);
  const requests = rateRps * st.warmupSeconds + measured;
  if (requests <= MAX_PLANNED_REQUESTS) return null;
  return {
    path,
    message:
      `at ${rateRps} req/s one step plans about ${Math.round(requests)} requests, more than ` +
      `${MAX_PLANNED_REQUESTS}; lower the rate or shorten step.warmupSeconds/measureSeconds`,
  };
}

type PathSegment = string | number;

/** A scenario as written, after defaults. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ServerSpec = z.output<typeof serverSchema>;
export type VariantSpec = z.output<typeof variantSchema>;
export type SweepSpec = z.output<typeof sweepSchema>;
export type StepSpec = z.output<typeof stepSchema>;
export type SloInput = z.output<typeof sloSchema>;
export type PricingSpec = z.output<typeof pricingSchema>;
export type TelemetrySpec = z.output<typeof telemetrySchema>;
export type WorkloadSpec = z.output<typeof workloadSchema>;
