// A benchmark's fake provider process: listens on loopback, says its port as one JSON line on
// stdout (what the parent waits for), and closes on SIGTERM.
import type { Server } from 'node:http';

export function serveOnLoopback(server: Server): void {
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
