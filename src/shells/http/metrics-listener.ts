/**
 * `GET /metrics`: the Prometheus exposition of ../observe-prometheus.ts, on the registry's port
 * or on a listener of its own (`stowage serve --metrics-addr HOST:PORT`, which then is the only
 * place it is served).
 *
 * It is not part of the /v2 API and asks for no registry token: Prometheus scrapes it with no
 * credentials. It reveals request counts by operation and status and process figures (no
 * repository names, users or addresses); still, keep it on a private address: when the
 * registry's port is public, give --metrics-addr a loopback or internal address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusObserver } from '../observe-prometheus.js';

export const METRICS_PATH = '/metrics';

export function isMetricsRequest(req: IncomingMessage): boolean {
  const path = (req.url ?? '/').split('?', 1)[0];
  return path === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD');
}

export async function serveMetrics(metrics: PrometheusObserver, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const { contentType, body } = await metrics.scrape();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('metrics unavailable\n');
  }
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** A listener that serves /metrics alone (404 for anything else). */
export async function listenForMetrics(metrics: PrometheusObserver, address: { host: string; port: number }): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    if (isMetricsRequest(req)) void serveMetrics(metrics, req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
