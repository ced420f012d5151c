// Prometheus metrics: what an operator graphs and alerts on.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobStore } from './jobs/index.ts';
import { inFlightStates, jobStates } from './jobs/index.ts';
import type { ProviderErrorKind, VideoClient } from './provider/index.ts';
import { ProviderError } from './provider/index.ts';

export function createMetrics(store: JobStore) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'reelbot_' });

  const jobs = new Gauge({
    name: 'reelbot_jobs',
    help: 'Jobs in the database by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await store.countsByState();
      for (const state of jobStates) this.set({ state }, counts[state] ?? 0);
    },
  });
  const inFlight = new Gauge({
    name: 'reelbot_jobs_in_flight',
    help: 'Jobs submitted and not yet finished at the provider',
    registers: [registry],
    async collect() {
      const counts = await store.countsByState();
      this.set(inFlightStates.reduce((sum, state) => sum + (counts[state] ?? 0), 0));
    },
  });
  const jobDuration = new Histogram({
    name: 'reelbot_job_duration_seconds',
    help: 'From /video to the job ending, by final state',
    labelNames: ['state'],
    buckets: [30, 60, 120, 180, 300, 600, 900, 1800, 3600],
    registers: [registry],
  });
  const providerRequests = new Counter({
    name: 'reelbot_provider_requests_total',
    help: 'Requests to the video API by operation',
    labelNames: ['operation'],
    registers: [registry],
  });
  const providerErrors = new Counter({
    name: 'reelbot_provider_errors_total',
    help: 'Failed requests to the video API by error kind',
    labelNames: ['operation', 'kind'],
    registers: [registry],
  });
  const discordEdits = new Counter({
    name: 'reelbot_discord_edits_total',
    help: 'Job messages shown, by route (webhook, channel, new_message, dm, none)',
    labelNames: ['route'],
    registers: [registry],
  });
  const discordRateLimits = new Counter({
    name: 'reelbot_discord_rate_limits_total',
    help: 'Discord rate limits hit (429s the REST client waited out)',
    labelNames: ['global'],
    registers: [registry],
  });
  const providerWebhooks = new Counter({
    name: 'reelbot_provider_webhooks_total',
    help: 'Provider webhook requests by answer (polling, ended, ignored, duplicate, kept, refused, too_large)',
    labelNames: ['outcome'],
    registers: [registry],
  });

  return {
    registry,
    jobs,
    inFlight,
    jobDuration,
    providerRequests,
    providerErrors,
    discordEdits,
    discordRateLimits,
    providerWebhooks,

    /** Counts every call and every failure of the video client, by operation and error kind. */
    instrument(client: VideoClient): VideoClient {
      const wrap =
        <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          providerRequests.inc({ operation });
          try {
            return await call(...args);
          } catch (error) {
            const kind: ProviderErrorKind | 'unknown' =
              error instanceof ProviderError ? error.kind : 'unknown';
            providerErrors.inc({ operation, kind });
            throw error;
          }
        };
      return {
        create: wrap('create', client.create),
        retrieve: wrap('retrieve', client.retrieve),
        download: wrap('download', client.download),
        downloadLink: wrap('download_link', client.downloadLink),
        remix: wrap('remix', client.remix),
        remove: wrap('remove', client.remove),
        list: wrap('list', client.list),
        close: client.close,
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
