// A real discord.js Client logged into the fake Discord, for the tests of the fake itself, and the
// events it receives. Built as the bot builds its own (src/bot.ts): Guilds intent, no pings unless
// a message says whom it may ping; a test may ask for more intents.
import {
  Client,
  type ClientEvents,
  type ClientOptions,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
} from 'discord.js';
import type { FakeDiscord } from './discord.ts';

export const fakeClientToken = 'test-bot-token-fake-client';

export async function loginToFake(
  discord: FakeDiscord,
  options: Partial<ClientOptions> = {},
): Promise<Client<true>> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: discord.restUrl },
    allowedMentions: { parse: [] },
    ...options,
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(fakeClientToken);
  } catch (error) {
    await client.destroy();
    throw error;
  }
  await ready;
  return client as Client<true>;
}

/** The next `event` the client emits (its arguments), within `timeoutMs`. */
export function nextEvent<Event extends keyof ClientEvents>(
  client: Client,
  event: Event,
  timeoutMs = 5_000,
): Promise<ClientEvents[Event]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: ClientEvents[Event]) => {
      clearTimeout(timer);
      resolve(args);
    };
    client.once(event, listener);
  });
}

/** The DiscordAPIError `promise` fails with (a test error if it succeeds or fails otherwise). */
export async function discordError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DiscordAPIError))
    throw new Error(`expected a DiscordAPIError, got ${String(error)}`);
  return error;
}
