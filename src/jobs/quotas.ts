// Quota limits: the operator's defaults, overridden per guild by its admins.
import type { GuildSettings, QuotaLimits } from './store/index.ts';

export function effectiveLimits(defaults: QuotaLimits, settings: GuildSettings): QuotaLimits {
  return {
    inFlightPerUser: settings.inFlightPerUser ?? defaults.inFlightPerUser,
    jobsPerUserPerDay: settings.jobsPerUserPerDay ?? defaults.jobsPerUserPerDay,
    secondsPerGuildPerDay: settings.secondsPerDay ?? defaults.secondsPerGuildPerDay,
  };
}
