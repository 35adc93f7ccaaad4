// pg-boss on the peer workload: W1 (one send per awaited call), W2 (four work() workers draining pre-inserted jobs
// with a no-op handler), W3 (send to the handler's first line, worker idle, samples one at a time). pg-boss has no
// LISTEN/NOTIFY pickup: a worker polls, and after every fetch, empty or not, it sleeps out the rest of its polling
// interval, so a worker drains at most batchSize jobs per interval.
//  - W3 runs at the defaults (batchSize 1, pollingIntervalSeconds 2), with a random pause of up to one interval
//    before each sample so arrivals fall anywhere in the poll cycle; each sample then costs about one interval.
//  - W2 at those defaults would be 4 x 1 job / 2 s = 2 jobs/s, so it runs at batchSize 32 (the raw baseline's batch)
//    and pollingIntervalSeconds 0.5 (the least pg-boss accepts): the fastest drain its worker loop allows.
// Prints one JSON line. Usage: node pg-boss.mjs --url postgres://... [--jobs N] [--latency-samples N]
import PgBoss from 'pg-boss'
import { parseArgs, packageVersion, payload, now, sleep, freshSchema, dropSchema, latencyFigure, waitFor } from './common.mjs'

const options = parseArgs(process.argv.slice(2))
const url = options.url
const queue = 'noop'
const drainBatch = 32
const drainPollSeconds = 0.5
const defaultPollMs = 2000

async function withBoss (measure) {
  const schema = freshSchema('pgboss_bench')
  const boss = new PgBoss({ connectionString: url, schema })
  boss.on('error', error => console.error(error))
  try {
    await boss.start()
    await boss.createQueue(queue)
    return await measure(boss, schema)
  } finally {
    await boss.stop({ graceful: true, wait: true, timeout: 10000 })
    await dropSchema(url, schema)
  }
}

async function enqueue (jobs) {
  return await withBoss(async boss => {
    const start = now()
    for (let i = 0; i < jobs; i++) {
      await boss.send(queue, payload(i))
    }
    const seconds = (now() - start) / 1000
    return { jobsPerSecond: jobs / seconds, seconds }
  })
}

async function drain (jobs, workers) {
  return await withBoss(async (boss, schema) => {
    for (let start = 0; start < jobs; start += 1000) {
      const batch = []
      for (let i = start; i < Math.min(jobs, start + 1000); i++) batch.push({ name: queue, data: payload(i) })
      await boss.insert(batch)
    }
    let handled = 0
    let allHandled
    const done = new Promise(resolve => { allHandled = resolve })
    const begin = now()
    for (let w = 0; w < workers; w++) {
      await boss.work(queue, { batchSize: drainBatch, pollingIntervalSeconds: drainPollSeconds }, async batch => {
        for (const _ of batch) {
          if (++handled === jobs) allHandled()
        }
      })
    }
    await done
    // pg-boss completes a batch after its handler returns without awaiting it: the drain ends when the last
    // completion is committed, as the C# drain's does.
    await waitFor(async () => (await boss.getDb().executeSql(
      `SELECT count(*)::int AS n FROM "${schema}".job WHERE name = $1 AND state <> 'completed'`, [queue])).rows[0].n === 0)
    const seconds = (now() - begin) / 1000
    await boss.offWork(queue)
    return { workers, batchSize: drainBatch, pollingIntervalSeconds: drainPollSeconds, jobsPerSecond: jobs / seconds, seconds }
  })
}

async function latency (samples) {
  return await withBoss(async boss => {
    const waiting = new Map()
    await boss.work(queue, async ([job]) => {
      const startedAt = now()
      waiting.get(job.data.seq)?.(startedAt)
    })
    await sleep(500)
    const values = []
    const warmup = 2
    for (let seq = 0; seq < warmup + samples; seq++) {
      await sleep(10 + Math.random() * defaultPollMs)
      const started = new Promise(resolve => waiting.set(seq, resolve))
      const sentAt = now()
      await boss.send(queue, { seq })
      const startedAt = await started
      if (seq >= warmup) values.push(startedAt - sentAt)
    }
    await boss.offWork(queue)
    return latencyFigure(values)
  })
}

const warm = Math.min(options.jobs, options.warmJobs)
await enqueue(warm)
await drain(warm, 4)
const w1 = await enqueue(options.jobs)
const w2 = await drain(options.jobs, 4)
const w3 = await latency(options.latencySamples)
console.log(JSON.stringify({
  peer: 'pg-boss',
  version: packageVersion('pg-boss'),
  node: process.versions.node,
  pickup: 'polling: W3 at the default pollingIntervalSeconds 2, batchSize 1; W2 at 4 workers x batchSize 32, pollingIntervalSeconds 0.5 (the minimum)',
  w1,
  w2,
  w3
}))
