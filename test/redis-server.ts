// A real redis-server for the tests: on a free loopback port, without persistence, started and
// stopped by its pid. `redis-server --port 0` alone refuses to start, so a free port is taken
// from the kernel first (and another tried if Redis loses the race for it).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Whether redis-server is installed here (CI installs it; see .ci/run). */
export function hasRedis(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills it (SIGKILL: as a crash), and resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) for good. */
  stop(): Promise<void>;
}

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
}

const gone = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** Starts redis-server on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; !child; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port);
    } catch (error) {
      if (attempt >= 3) throw error; // the port was taken meanwhile: another one
    }
  }
  let current: ChildProcess = child;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      current.kill('SIGKILL');
      await gone(current);
    },
    async restart() {
      current = await launch(port);
    },
    async stop() {
      current.kill('SIGTERM');
      await gone(current);
    },
  };
}
