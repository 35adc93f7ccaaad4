// graphile-worker on the peer workload: W1 (one addJob per awaited call), W2 (a runner at concurrency 4 draining
// pre-inserted jobs with a no-op task), W3 (addJob to the task's first line, runner idle, 100 samples one at a time).
// New jobs reach an idle runner through LISTEN/NOTIFY (its jobs:insert channel); pollInterval stays at its default.
// Prints one JSON line. Usage: node graphile-worker.mjs --url postgres://... [--jobs N] [--latency-samples N]
import { run, makeWorkerUtils, Logger } from 'graphile-worker'
import { parseArgs, packageVersion, payload, now, sleep, freshSchema, dropSchema, latencyFigure, waitFor } from './common.mjs'

const options = parseArgs(process.argv.slice(2))
const url = options.url
const task = 'noop'
// Its info lines (one per job start and end at debug, worker start/stop at info) would be written into the measurement.
const logger = new Logger(() => (level, message) => { if (level === 'error') console.error(message) })

async function withSchema (measure) {
  const schema = freshSchema('gw_bench')
  const utils = await makeWorkerUtils({ connectionString: url, schema, logger })
  try {
    await utils.migrate()
    return await measure(schema, utils)
  } finally {
    await utils.release()
    await dropSchema(url, schema)
  }
}

async function enqueue (jobs) {
  return await withSchema(async (schema, utils) => {
    const start = now()
    for (let i = 0; i < jobs; i++) {
      await utils.addJob(task, payload(i))
    }
    const seconds = (now() - start) / 1000
    return { jobsPerSecond: jobs / seconds, seconds }
  })
}

async function drain (jobs, concurrency) {
  return await withSchema(async (schema, utils) => {
    for (let start = 0; start < jobs; start += 1000) {
      const specs = []
      for (let i = start; i < Math.min(jobs, start + 1000); i++) specs.push({ identifier: task, payload: payload(i) })
      await utils.addJobs(specs)
    }
    let handled = 0
    let allHandled
    const done = new Promise(resolve => { allHandled = resolve })
    const begin = now()
    const runner = await run({
      connectionString: url,
      schema,
      concurrency,
      noHandleSignals: true,
      logger,
      taskList: { [task]: async () => { if (++handled === jobs) allHandled() } }
    })
    await done
    // A completed job is deleted: the drain ends when its last completion is committed, as the C# drain's does.
    await waitFor(async () => (await utils.withPgClient(c => c.query(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs`))).rows[0].n === 0)
    const seconds = (now() - begin) / 1000
    await runner.stop()
    return { concurrency, jobsPerSecond: jobs / seconds, seconds }
  })
}

async function latency (samples) {
  return await withSchema(async (schema, utils) => {
    const waiting = new Map()
    const runner = await run({
      connectionString: url,
      schema,
      noHandleSignals: true,
      logger,
      taskList: {
        [task]: async (p) => {
          const startedAt = now()
          waiting.get(p.seq)?.(startedAt)
        }
      }
    })
    await sleep(500)
    const values = []
    const warmup = 5
    for (let seq = 0; seq < warmup + samples; seq++) {
      // Let the runner finish the previous job and go back to waiting, as the C# in-process W3 does.
      await sleep(10 + Math.floor(Math.random() * 10))
      const started = new Promise(resolve => waiting.set(seq, resolve))
      const sentAt = now()
      await utils.addJob(task, { seq })
      const startedAt = await started
      if (seq >= warmup) values.push(startedAt - sentAt)
    }
    await runner.stop()
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
  peer: 'graphile-worker',
  version: packageVersion('graphile-worker'),
  node: process.versions.node,
  pickup: 'LISTEN/NOTIFY (jobs:insert), pollInterval 2000 ms (default) as the fallback',
  w1,
  w2,
  w3
}))
