// Shared by graphile-worker.mjs and pg-boss.mjs: the command line, the payload and the figures, so the two peers and
// the C# side measure the same things the same way.
import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import pg from 'pg'

export function parseArgs (argv) {
  const options = { url: null, jobs: 10000, latencySamples: 100, warmJobs: 1000 }
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1]
    switch (argv[i]) {
      case '--url': options.url = value; i++; break
      case '--jobs': options.jobs = Number(value); i++; break
      case '--latency-samples': options.latencySamples = Number(value); i++; break
      case '--warm-jobs': options.warmJobs = Number(value); i++; break
      default: throw new Error(`unknown argument ${argv[i]}; usage: --url postgres://... [--jobs N] [--latency-samples N] [--warm-jobs N]`)
    }
  }
  if (!options.url) throw new Error('--url postgres://user@host:port/database is required')
  return options
}

export function packageVersion (name) {
  return createRequire(import.meta.url)(`${name}/package.json`).version
}

// The same order as the C# side's BenchmarkData.Payload, so every queue stores and parses the same text.
export function payload (i) {
  return {
    orderId: `ord-${String(i).padStart(8, '0')}`,
    customer: `customer-${String(i % 9973).padStart(5, '0')}@example.com`,
    sku: `SKU-${String(i % 50000).padStart(5, '0')}-XL`,
    quantity: 1 + (i % 7),
    note: 'leave at the door'
  }
}

export const now = () => performance.now()

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// A fresh schema name per measurement, so no measurement sees another's rows, statistics or bloat.
let serial = 0
export function freshSchema (prefix) {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${serial++}`
}

export async function dropSchema (url, schema) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Linear interpolation between closest ranks, as LatencyFigure does on the C# side. */
export function latencyFigure (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = p => {
    const rank = p * (sorted.length - 1)
    const low = Math.floor(rank)
    const high = Math.min(low + 1, sorted.length - 1)
    return sorted[low] + (rank - low) * (sorted[high] - sorted[low])
  }
  const round = v => Math.round(v * 1000) / 1000
  return {
    samples: sorted.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    minMs: round(sorted[0]),
    maxMs: round(sorted[sorted.length - 1])
  }
}

/** Polls until check() is true, a millisecond apart; what a drain waits on after its last handler ran. */
export async function waitFor (check, timeoutMs = 600000) {
  const start = now()
  while (!(await check())) {
    if (now() - start > timeoutMs) throw new Error('timed out')
    await sleep(1)
  }
}
