/**
 * `buildApp(config)`: the one factory used by the server, the OpenAPI script and every test.
 * Registration order: errors → database → auth → OpenAPI → routes.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import AjvCompiler from '@fastify/ajv-compiler';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { AccessLog } from './lib/access-log.js';
import { safeLoggerOptions } from './lib/log-safety.js';
import { API_VERSION } from './lib/version.js';
import apiDocsPlugin from './plugins/api-docs.js';
import authPlugin from './plugins/auth.js';
import connectionsPlugin, { serverTimeouts } from './plugins/connections.js';
import databasePlugin from './plugins/database.js';
import deprecationPlugin from './plugins/deprecation.js';
import dashboardPlugin from './plugins/dashboard.js';
import errorsPlugin, { clientErrorHandler, frameworkErrorHandler } from './plugins/errors.js';
import inputPlugin from './plugins/input.js';
import jobsPlugin from './plugins/jobs.js';
import linkageWorkerPlugin from './plugins/linkage-worker.js';
import retentionSchedulePlugin from './plugins/retention-schedule.js';
import recordWorkersPlugin from './plugins/record-workers.js';
import tableStatisticsPlugin from './plugins/table-statistics.js';
import aggregateRoutes from './routes/aggregates.js';
import apiKeyRoutes from './routes/api-keys.js';
import areaRoutes from './routes/areas.js';
import auditRoutes from './routes/audit.js';
import completenessRoutes from './routes/completeness.js';
import countReturnRoutes from './routes/count-returns.js';
import countRoutes from './routes/counts.js';
import datasetFileRoutes from './routes/dataset-files.js';
import datasetVersionRoutes from './routes/dataset-versions.js';
import healthRoutes from './routes/health.js';
import indicatorRoutes from './routes/indicators.js';
import jobRoutes from './routes/jobs.js';
import linkageRoutes from './routes/linkage.js';
import metaRoutes from './routes/meta.js';
import overlapRoutes from './routes/overlaps.js';
import periodRoutes from './routes/periods.js';
import returnDiffRoutes from './routes/return-diff.js';
import referralRoutes from './routes/referrals.js';
import returnRoutes from './routes/returns.js';
import serviceRoutes from './routes/services.js';
import { CreatedApiKeySchema } from './schema/api/api-keys.js';
import { AggregateSchema, DimensionSchema, PublishedValueSchema } from './schema/api/aggregates.js';
import { DisclosureSchema, ScopeSchema } from './schema/api/analytics.js';
import { AreaSchema } from './schema/api/areas.js';
import { AuditEventSchema } from './schema/api/audit.js';
import { CountTableSchema } from './schema/api/counts.js';
import { sharedSchemas } from './schema/api/common.js';
import { PeriodLockSchema } from './schema/api/periods.js';
import { LinkageCurrencySchema } from './schema/api/linkage.js';
import { JobSchema } from './schema/api/jobs.js';
import { IndicatorSchema } from './schema/api/indicators.js';
import { finishOpenApiDocument } from './schema/api/openapi-document.js';
import { DryRunResultSchema, RecordSchema, ReturnSchema } from './schema/api/returns.js';
import { ServiceSchema } from './schema/api/services.js';
import { bootstrapAdminAccess } from './services/bootstrap.js';

export interface BuildOptions {
  /** Where logs go (tests capture them to check nothing sensitive is written). Default stdout. */
  logStream?: Writable;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Bodies are never coerced or stripped: an unknown field is an error, `"7"` is not 7. Query strings
 * and paths are text, so they are coerced to the declared types. Bodies marked `x-validated-by` are
 * validated by their service, which reports every problem and the rules across records.
 * `x-openapi-parameter` only changes how the OpenAPI document shows a parameter (openapi-document.ts).
 */
type ValidatorFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'];
type AjvOptions = { customOptions?: Record<string, unknown> } & Record<string, unknown>;

function buildValidatorFactory(): ValidatorFactory {
  const factory = AjvCompiler();
  const build = (externalSchemas: Parameters<typeof factory>[0], ajvOptions: AjvOptions | undefined) => {
    const base = {
      ...ajvOptions,
      customOptions: { ...(ajvOptions?.customOptions ?? {}), removeAdditional: false, allErrors: true, keywords: ['x-validated-by', 'x-openapi-parameter'] },
    };
    const body = factory(externalSchemas, { ...base, customOptions: { ...base.customOptions, coerceTypes: false, useDefaults: false } });
    const other = factory(externalSchemas, { ...base, customOptions: { ...base.customOptions, coerceTypes: 'array', useDefaults: true } });
    return (route: { httpPart?: string; schema: Record<string, unknown> }) => {
      if (route.httpPart !== 'body') return other(route as never);
      if (route.schema['x-validated-by']) return () => true;
      return body(route as never);
    };
  };
  return build as unknown as ValidatorFactory;
}

export async function buildApp(config: Config, options: BuildOptions = {}) {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.slk581', '*.linkageSecret', '*.key'], censor: '[redacted]' },
      // Errors by allow-list (no query parameters, no quoted values) and request URLs without the query string.
      ...safeLoggerOptions(),
    },
    logController: new AccessLog(),
    // Opening an on-disk PGlite unpacks a database (10–18 s on a loaded 2-core machine), and the
    // database plugin waits for a PostgreSQL still starting: fastify's 10 s default is too tight.
    pluginTimeout: 60_000,
    bodyLimit: config.bodyLimitBytes,
    // No client holds a connection for ever: idle, whole-request and header timeouts; see plugins/connections.ts.
    ...serverTimeouts(config),
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    schemaController: { compilersFactory: { buildValidator: buildValidatorFactory() } },
    // fastify's and Node's own refusals (bad URL 400, long path 414, headers too large 431) as problem documents too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // What a key can read (records, diffs, job results, audit events) must not linger in a shared cache.
    if (request.headers.authorization !== undefined && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  await app.register(errorsPlugin);
  await app.register(connectionsPlugin, config);
  // JSON body parsing, charset, nesting and control characters in every parameter.
  await app.register(inputPlugin);
  // Before the routes and @fastify/swagger: marks deprecated operations and adds Deprecation / Sunset headers.
  await app.register(deprecationPlugin);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] },
    },
  });
  await app.register(databasePlugin, { databaseUrl: config.databaseUrl, databaseReadUrl: config.databaseReadUrl, dataDir: config.dataDir });
  await app.register(authPlugin, { failuresPerMinute: config.authFailuresPerMinute, requestsPerMinutePerKey: config.requestsPerMinutePerKey });
  await app.register(jobsPlugin, { uploadDir: config.uploadDir, databaseUrl: config.databaseUrl });
  // Started on the first large return, not here: most apps (every test's) never need it.
  await app.register(recordWorkersPlugin, { linkageSecret: config.linkageSecret, threads: config.recordWorkers });
  await app.register(tableStatisticsPlugin);
  await app.register(linkageWorkerPlugin, {
    linkageSettings: { threshold: config.matchThreshold },
    mode: config.linkageMode,
    pollMs: config.linkagePollMs,
    reestimate: config.linkageReestimate,
    retryBaseMs: config.linkageRetryMs,
  });
  await app.register(retentionSchedulePlugin, {
    databaseUrl: config.databaseUrl,
    dailyAt: config.retentionDailyAt,
    limits: config.retention,
    uploadDir: config.uploadDir,
    settings: { threshold: config.matchThreshold },
  });

  const namedSchemas = [
    ServiceSchema,
    CreatedApiKeySchema,
    AreaSchema,
    RecordSchema,
    ReturnSchema,
    JobSchema,
    DryRunResultSchema,
    ScopeSchema,
    PublishedValueSchema,
    DisclosureSchema,
    DimensionSchema,
    AggregateSchema,
    IndicatorSchema,
    CountTableSchema,
    AuditEventSchema,
    PeriodLockSchema,
    LinkageCurrencySchema,
  ];
  for (const schema of [...sharedSchemas, ...namedSchemas]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'VAWG Dataset API',
        version: API_VERSION,
        description:
          'A standardised, versioned REST service for violence-against-women-and-girls data. Providers submit quarterly returns of pseudonymous referral records; analysts read aggregates with disclosure control. Errors are RFC 9457 problem details.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        { name: 'Health', description: 'Liveness and readiness' },
        { name: 'Metadata', description: 'API metadata and the OpenAPI document' },
        { name: 'Dataset', description: 'The dataset definition and code lists' },
        { name: 'Services', description: 'Services that submit returns' },
        { name: 'API keys', description: 'Access for providers, analysts and admins' },
        { name: 'Areas', description: 'Areas and population figures' },
        { name: 'Returns', description: 'Quarterly returns of referral records' },
        { name: 'Linkage', description: 'Counting people once: probabilistic record linkage (admin)' },
        { name: 'Analytics', description: 'Aggregates, indicators and completeness, with disclosure control for analysts' },
        { name: 'Periods', description: 'Quarters, and the locks that close them to new versions' },
        { name: 'Audit', description: 'Who submitted, read record-level data, managed keys or locked periods (admin)' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              "An API key, sent as Authorization: Bearer <key>. Keys are issued by your partnership's admin: providers get a provider key bound to their service (submit and read its returns), analysts an analyst key (aggregates, indicators, completeness). You cannot create your own; POST /v1/api-keys is admin-only.",
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // The record's code lists become named components (`Ethnicity`, `RiskLevel`…) with a label per code.
    transformObject: (document) => finishOpenApiDocument(document as { openapiObject: Record<string, unknown> }) as never,
  });
  // /docs: Swagger UI as our own page, with its own Content-Security-Policy.
  await app.register(apiDocsPlugin);

  await app.register(healthRoutes);
  await app.register(metaRoutes);
  await app.register(datasetFileRoutes);
  await app.register(datasetVersionRoutes);
  await app.register(serviceRoutes);
  await app.register(apiKeyRoutes);
  await app.register(areaRoutes);
  await app.register(returnRoutes, {
    linkageSecret: config.linkageSecret,
    asyncReturnBytes: config.asyncReturnBytes,
    embeddedMaxRecords: config.embeddedMaxRecords,
    bodyLimitBytes: config.bodyLimitBytes,
    uploadDir: config.uploadDir,
    idempotencyTtlHours: config.idempotencyTtlHours,
  });
  await app.register(countReturnRoutes, { idempotencyTtlHours: config.idempotencyTtlHours });
  await app.register(jobRoutes);
  await app.register(aggregateRoutes, { suppressBelow: config.suppressBelow });
  await app.register(indicatorRoutes, { suppressBelow: config.suppressBelow });
  await app.register(completenessRoutes, { suppressBelow: config.suppressBelow });
  await app.register(overlapRoutes, { suppressBelow: config.suppressBelow });
  await app.register(countRoutes, { suppressBelow: config.suppressBelow });
  await app.register(linkageRoutes, { linkageSettings: { threshold: config.matchThreshold } });
  await app.register(returnDiffRoutes);
  await app.register(referralRoutes, { linkageSecret: config.linkageSecret, linkageSettings: { threshold: config.matchThreshold } });
  await app.register(periodRoutes);
  await app.register(auditRoutes);
  await app.register(dashboardPlugin);

  app.addHook('onReady', async () => {
    await bootstrapAdminAccess(app.db, { bootstrapAdminKey: config.bootstrapAdminKey, databaseKind: app.databaseKind, dataDir: config.dataDir }, app.log);
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
