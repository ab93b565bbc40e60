// axe-core and Lighthouse over pages of a site already served on 127.0.0.1, in light and dark
// colour schemes; one JSON line per page and scheme on stdout, progress on stderr.
// Driven by scripts/audit.py, which builds and serves the site and judges these results.
//
//   node tools/audit/audit.mjs CONFIG.json
//   CONFIG: {"base": "http://127.0.0.1:PORT", "chromium": "/usr/bin/chromium",
//            "pages": [{"name": "home", "path": "/"}], "schemes": ["light", "dark"],
//            "reports": "DIR", "netLog": "FILE", "runs": 3, "axeTags": [...],
//            "categories": [...]}

import { readFileSync, writeFileSync, mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";
import jpeg from "jpeg-js";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Everything chromium may do on its own stays off, so the only traffic is to the local
// server. Chromium 156 still asks for extension updates and Google sign-in state with all
// of these flags set: the resolver rules stop those before any DNS query, and the net log
// (read by scripts/audit.py) shows that no name was looked up and no socket left 127/8.
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--no-default-browser-check",
  "--metrics-recording-only",
  "--disable-features=Translate,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying,AutofillServerCommunication",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];
const AXE_VIEWPORTS = [
  { width: 375, height: 812, label: "375px" },
  { width: 1280, height: 800, label: "1280px" },
];

function log(message) {
  process.stderr.write(`audit: ${message}\n`);
}

function isLocal(url) {
  if (!/^(https?|wss?):/.test(url)) return true; // data:, blob:, about:, chrome: never leave
  return new URL(url).hostname === "127.0.0.1";
}

async function openPage(browser, scheme, viewport) {
  const page = await browser.newPage();
  const external = [];
  page.on("request", (request) => {
    if (!isLocal(request.url())) external.push(request.url());
  });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
  if (viewport) await page.setViewport({ width: viewport.width, height: viewport.height });
  return { page, external };
}

async function readScheme(page) {
  return page.evaluate(() => ({
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    background: getComputedStyle(document.body).backgroundColor,
    rootBackground: getComputedStyle(document.documentElement).backgroundColor,
  }));
}

async function runAxe(browser, url, scheme, tags, reports, stem) {
  const found = new Map();
  const external = [];
  let seen = null;
  for (const viewport of AXE_VIEWPORTS) {
    const { page, external: requests } = await openPage(browser, scheme, viewport);
    await page.goto(url, { waitUntil: "networkidle0" });
    // Let transitions settle so colour contrast is measured on the final colours.
    await new Promise((resolve) => setTimeout(resolve, 400));
    seen ??= await readScheme(page);
    await page.screenshot({ path: join(reports, `${stem}-${viewport.label}.png`), fullPage: true });
    await page.addScriptTag({ content: AXE_SOURCE });
    const result = await page.evaluate(
      (values) => window.axe.run(document, { runOnly: { type: "tag", values } }),
      tags,
    );
    for (const violation of result.violations) {
      const entry = found.get(violation.id) ?? {
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        targets: [],
        viewports: [],
      };
      entry.viewports.push(viewport.label);
      for (const node of violation.nodes) {
        const target = node.target.join(" ");
        if (!entry.targets.includes(target)) entry.targets.push(target);
      }
      found.set(violation.id, entry);
    }
    external.push(...requests);
    await page.close();
  }
  return { violations: [...found.values()], external, seen };
}

function screenshotLuminance(lhr) {
  const data = lhr.audits["final-screenshot"]?.details?.data;
  if (!data) return null;
  const image = jpeg.decode(Buffer.from(data.split(",")[1], "base64"), { useTArray: true });
  let sum = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    sum += 0.2126 * image.data[i] + 0.7152 * image.data[i + 1] + 0.0722 * image.data[i + 2];
  }
  return Math.round((sum / (image.data.length / 4) / 255) * 1000) / 1000;
}

function lighthouseFailures(lhr) {
  const failures = [];
  for (const category of Object.values(lhr.categories)) {
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        failures.push({ category: category.id, id: ref.id, title: audit.title, score: audit.score });
      }
    }
  }
  return failures;
}

function networkRequests(lhr) {
  return (lhr.audits["network-requests"]?.details?.items ?? []).map((item) => item.url);
}

// Simulated throttling scales the CPU time this machine really took, so a busy machine
// costs points: run several times and keep the run with the median performance score.
async function runLighthouse(browser, url, scheme, config, stem) {
  const runs = [];
  for (let i = 0; i < config.runs; i += 1) {
    runs.push(await runLighthouseOnce(browser, url, scheme, config.categories));
  }
  runs.sort((a, b) => (a.lhr.categories.performance?.score ?? 0) - (b.lhr.categories.performance?.score ?? 0));
  const median = runs[Math.floor((runs.length - 1) / 2)];
  const lhr = median.lhr;
  writeFileSync(join(config.reports, `${stem}.lighthouse.json`), median.report);
  const requests = runs.flatMap((run) => networkRequests(run.lhr));
  return {
    scores: Object.fromEntries(Object.values(lhr.categories).map((c) => [c.id, c.score])),
    performanceRuns: runs.map((run) => run.lhr.categories.performance?.score ?? null),
    failures: lighthouseFailures(lhr),
    runtimeError: lhr.runtimeError?.message ?? null,
    warnings: lhr.runWarnings,
    luminance: screenshotLuminance(lhr),
    seen: median.seen,
    requests: requests.length,
    external: [...runs.flatMap((run) => run.external), ...requests.filter((u) => !isLocal(u))],
  };
}

async function runLighthouseOnce(browser, url, scheme, categories) {
  const { page, external } = await openPage(browser, scheme, null);
  const result = await lighthouse(
    url,
    { output: "json", logLevel: "info", onlyCategories: categories },
    undefined,
    page,
  );
  // Read after Lighthouse is done with the page: the emulated scheme held through its run.
  const seen = await readScheme(page);
  await page.close();
  return { lhr: result.lhr, report: result.report, seen, external };
}

async function auditPage(browser, config, page, scheme) {
  const url = config.base + page.path;
  const stem = `${page.name}-${scheme}`;
  log(`${page.name} (${page.path}) ${scheme}: axe`);
  const axe = await runAxe(browser, url, scheme, config.axeTags, config.reports, stem);
  log(`${page.name} (${page.path}) ${scheme}: lighthouse`);
  const lh = await runLighthouse(browser, url, scheme, config, stem);
  return {
    page: page.name,
    path: page.path,
    scheme,
    axe: axe.violations,
    axe_scheme: axe.seen,
    scores: lh.scores,
    performance_runs: lh.performanceRuns,
    lighthouse_failures: lh.failures,
    lighthouse_error: lh.runtimeError,
    lighthouse_warnings: lh.warnings,
    lighthouse_scheme: lh.seen,
    lighthouse_luminance: lh.luminance,
    lighthouse_requests: lh.requests,
    external: [...new Set([...axe.external, ...lh.external])],
  };
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
  mkdirSync(config.reports, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "linkdigest-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: config.chromium,
    headless: true,
    userDataDir: profile,
    args: [...CHROMIUM_FLAGS, `--log-net-log=${config.netLog}`],
  });
  try {
    for (const page of config.pages) {
      for (const scheme of config.schemes) {
        const result = await auditPage(browser, config, page, scheme);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`audit: ${error.stack ?? error}\n`);
  process.exit(1);
});
