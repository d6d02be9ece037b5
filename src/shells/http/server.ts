// Placeholder signature; the real server lands in the next commit.
export interface ServerOptions { dataDir: string; host?: string; port?: number; }
export interface RunningServer { url: string; host: string; port: number; close(): Promise<void>; }
export async function startServer(_opts: ServerOptions): Promise<RunningServer> {
  throw new Error('not implemented yet');
}
