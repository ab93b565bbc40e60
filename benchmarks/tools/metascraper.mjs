// metascraper as a peer for benchmarks/extraction.py: one saved page in, one JSON object out.
//
//   node benchmarks/tools/metascraper.mjs FILE URL
//   -> {"title": ..., "description": ...}
//
// Only the title and description rules are loaded (provider packages first, as metascraper's
// own bundles order them, then the generic ones): the other rules of some providers fetch
// thumbnails or call APIs, and the benchmark must never touch the network. Any socket that
// opens anyway is refused, so a rule that tries fails instead of leaving the machine.
// The page's bytes are decoded as a browser would (BOM, then <meta charset>, else UTF-8).

import net from 'node:net'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

net.Socket.prototype.connect = function refuse () {
  throw new Error('metascraper.mjs: network access refused (offline benchmark)')
}

const PROVIDERS = [
  'metascraper-amazon',
  'metascraper-imdb',
  'metascraper-instagram',
  'metascraper-soundcloud',
  'metascraper-spotify',
  'metascraper-tiktok',
  'metascraper-uol',
  'metascraper-x',
  'metascraper-youtube'
]
const GENERIC = ['metascraper-title', 'metascraper-description']
// Spotify's second description rule asks Spotify's API: offline, only its page rule runs.
const OFFLINE_ONLY = { 'metascraper-spotify': { description: 1 } }

const onlyTextRules = name => {
  const { title, description, test, pkgName } = require(name)()
  const keep = OFFLINE_ONLY[name] || {}
  const rules = { test, pkgName: pkgName || name }
  if (title) rules.title = [].concat(title).slice(0, keep.title)
  if (description) rules.description = [].concat(description).slice(0, keep.description)
  if (!test) delete rules.test
  return rules
}

const decode = bytes => {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3))
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096))
  const label = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]
  try {
    return new TextDecoder(label || 'utf-8').decode(bytes)
  } catch {
    return new TextDecoder('utf-8').decode(bytes)
  }
}

const [file, url] = process.argv.slice(2)
if (!file || !url) {
  console.error('usage: metascraper.mjs FILE URL')
  process.exit(1)
}
const metascraper = require('metascraper')([...PROVIDERS, ...GENERIC].map(onlyTextRules))
const html = decode(readFileSync(file))
const { title, description } = await metascraper({ url, html, validateUrl: false })
process.stdout.write(JSON.stringify({ title, description }) + '\n')
