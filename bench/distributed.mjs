// `npm run bench -- distributed`: Parallel through Redis (the BullMQ backend) against the local
// process pool, side by side in one run on this machine: a redis-server on a free loopback port,
// worker machines as separate processes. Rows: the raw BullMQ round trip (one job at a time, and
// 16 in flight), 10k tasks of 10 ms over 2 and 4 workers (overhead per task and speed-up), and
// one 80 MB argument to 100 tasks (uploaded once). BENCH_TASKS changes the 10k.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { delayed, Parallel } from '../dist/index.js';
import { registerBullmqBackend } from '../dist/bullmq.js';
import * as tasks from './distributed-tasks.mjs';

const ROOT = path.join(import.meta.dirname, '..');
const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await new Promise((resolve) => child.stdout.on('data', (d) => /ready to accept/i.test(String(d)) && resolve()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** `joblib-ts worker` processes with one slot each (ready once they say so). */
async function startWorkers(url, queue, count) {
  const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
  return Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'worker', '--redis', url, '--queue', queue, '--concurrency', '1'],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => String(d).includes('ready:') && resolve(child));
  })));
}

/** Raw BullMQ: add → a no-op processor → the caller learns of it, one at a time, and with 16 in flight. */
async function rawRoundTrip(url) {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection });
  const reply = new Redis(url);
  const workerConnection = connection.duplicate();
  const worker = new Worker('raw', async (job) => {
    await reply.rpush(`raw:${job.id}`, '1');
  }, { connection: workerConnection, concurrency: 8 });
  await worker.waitUntilReady();
  const waiter = new Redis(url, { maxRetriesPerRequest: null });
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await queue.add('noop', {}, { jobId: `s${i}`, removeOnComplete: true });
    await waiter.blpop(`raw:s${i}`, 10);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const t0 = performance.now();
  let next = 0;
  const lanes = Array.from({ length: 16 }, async () => {
    const lane = new Redis(url, { maxRetriesPerRequest: null });
    while (next < 1000) {
      const i = next++;
      await queue.add('noop', {}, { jobId: `p${i}`, removeOnComplete: true });
      await lane.blpop(`raw:p${i}`, 10);
    }
    lane.disconnect();
  });
  await Promise.all(lanes);
  const rate = 1000 / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.close();
  for (const client of [connection, workerConnection, reply, waiter]) client.disconnect();
  return { medianMs: times[100], rate };
}

async function timeIt(run) {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

export async function distributed() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('\nParallel through Redis: skipped, redis-server is not installed (apt-get install redis-server).');
    return;
  }
  const redis = await startRedis();
  registerBullmqBackend();
  const rows = [];
  try {
    const raw = await rawRoundTrip(redis.url);
    rows.push(['raw BullMQ round trip, one job at a time (median)', `${raw.medianMs.toFixed(2)} ms`, '', '']);
    rows.push(['raw BullMQ, 16 jobs in flight', `${Math.round(raw.rate)} jobs/s`, '', '']);
    const sleeps = Array.from({ length: TASKS }, () => delayed(tasks.sleepMs)(10));
    for (const count of [2, 4]) {
      const local = await timeIt(() => Parallel({ nJobs: count })(sleeps));
      const queue = `bench${count}`;
      const machines = await startWorkers(redis.url, queue, count);
      const remote = await timeIt(() => Parallel({ backend: 'bullmq', backendParams: { connection: redis.url, queue } })(sleeps));
      for (const machine of machines) machine.kill('SIGTERM');
      const ideal = (TASKS * 0.01) / count;
      rows.push([`${TASKS} tasks × 10 ms, ${count} workers`, `${remote.toFixed(2)} s (speed-up ${(TASKS * 0.01 / remote).toFixed(2)}×)`,
        `${local.toFixed(2)} s (speed-up ${(TASKS * 0.01 / local).toFixed(2)}×)`,
        `overhead ${(((remote - local) / local) * 100).toFixed(1)}%; ${(((remote - ideal) / TASKS) * 1e6).toFixed(0)} µs/task over ideal`]);
    }
    const big = new Float64Array(10_000_000).fill(1); // 80 MB
    const bigTasks = Array.from({ length: 100 }, () => delayed(tasks.sumArray)(big));
    const local = await timeIt(() => Parallel({ nJobs: 2 })(bigTasks));
    const machines = await startWorkers(redis.url, 'big', 2);
    const remote = await timeIt(() => Parallel({ backend: 'bullmq', backendParams: { connection: redis.url, queue: 'big' } })(bigTasks));
    for (const machine of machines) machine.kill('SIGTERM');
    rows.push(['100 tasks × one 80 MB array, 2 workers', `${remote.toFixed(2)} s`, `${local.toFixed(2)} s`,
      'uploaded once, fetched once per worker machine']);
  } finally {
    redis.stop();
  }
  console.log('\nParallel through Redis (BullMQ backend) against the local process pool, same machine');
  console.log('| case | through Redis | local pool | notes |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
