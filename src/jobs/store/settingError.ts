// A store that cannot be opened because of how it is set up (the server database's URL, its
// permissions, its schema): the bot refuses to start with this one sentence, no stack trace.

export class DatabaseSettingError extends Error {
  constructor(sentence: string, options?: { cause?: unknown }) {
    super(sentence, options);
    this.name = 'DatabaseSettingError';
  }
}
