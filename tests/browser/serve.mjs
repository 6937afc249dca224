// Drives the page of `skulint serve` in Debian's Chromium, as a seller would:
// usage: node serve.mjs URL OUTPUT_FOLDER [SCREENSHOT.png]
// Uploads the demo export with a CSV file, reads the findings and the layout, downloads the
// corrected workbook, the change log and the resync plan into OUTPUT_FOLDER,
// uploads a broken file, diagnoses a message, and switches the language.
// Prints one JSON line of what it saw; exits 1 on the first thing missing.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const [url, outputFolder, screenshot] = process.argv.slice(2);
if (!url || !outputFolder) {
  console.error("usage: node serve.mjs URL OUTPUT_FOLDER [SCREENSHOT.png]");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const demo = join(root, "fixtures", "demo-shopee-sales-info.xlsx");
const csv = join(root, "fixtures", "csv", "semicolon.csv");

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const profile = mkdtempSync(join(tmpdir(), "skulint-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  locale: "id-ID",
  viewport: { width: 1280, height: 900 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
context.setDefaultTimeout(60000);
const seen = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Each upload to the API, by path: a file is checked with one upload.
  const uploads = [];
  page.on("request", (r) => {
    if (r.method() === "POST") uploads.push(new URL(r.url()).pathname + new URL(r.url()).search);
  });
  await page.goto(url);

  // The browser asks for Indonesian: the labels are Indonesian.
  seen.heading = await page.locator("#files h2").textContent();
  check(seen.heading === "Periksa file ekspor", `Indonesian labels, got ${seen.heading}`);
  await page.selectOption("#language", "en");
  check((await page.locator("#files h2").textContent()) === "Check exports", "switched to English");

  // Upload the demo export and a CSV file together: totals, layout, findings.
  await page.setInputFiles("#pick", [demo, csv]);
  const card = page.locator(".file").filter({ hasText: "demo-shopee-sales-info.xlsx" });
  const csvCard = page.locator(".file").filter({ hasText: "semicolon.csv" });
  await csvCard.locator(".totals").waitFor();
  seen.csvTotals = (await csvCard.locator(".totals").textContent()).trim();
  await card.locator(".totals").waitFor();
  seen.totals = (await card.locator(".totals").textContent()).trim();
  check(/\d+ problems/.test(seen.totals), `totals: ${seen.totals}`);
  await card.locator("details.layout").waitFor();
  seen.layout = (await card.locator("details.layout tbody tr").first().textContent()).trim();
  check(seen.layout.startsWith("SKUFSKU") && seen.layout.includes("et_title_variation_sku"),
    `layout: ${seen.layout}`);
  const report = card.frameLocator("iframe.report");
  await report.locator("table.findings tbody tr").first().waitFor();
  seen.findings = await report.locator("table.findings tbody tr").count();
  check(seen.findings > 0, "findings in the report");
  const values = await report.locator("table.findings td.val").allTextContents();
  seen.visibleSpace = values.some((v) => v.includes("␣"));
  seen.checkUploads = uploads.filter((u) => u.includes("demo-shopee-sales-info")).length;
  check(seen.checkUploads === 1, `the demo export uploaded once to be shown: ${uploads.join(" ")}`);
  check(seen.visibleSpace, "spaces made visible");
  // The report's own search filters the table.
  await report.locator("#q").fill("SKU001");
  seen.filtered = await report.locator("table.findings tbody tr:not([hidden])").count();
  check(seen.filtered > 0 && seen.filtered < seen.findings, `search filters: ${seen.filtered}`);
  await report.locator("#q").fill("");

  // Downloads, as `skulint fix` writes them.
  seen.downloads = {};
  for (const output of ["file", "changes", "plan"]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      card.locator(`button[data-output=${output}]`).click(),
    ]);
    const name = download.suggestedFilename();
    await download.saveAs(join(outputFolder, name));
    seen.downloads[output] = name;
  }

  if (screenshot) {
    await report.locator("html").evaluate(() => window.scrollTo(0, 0));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshot });
  }

  // A file that cannot be read says so.
  await page.setInputFiles("#pick", {
    name: "broken.xlsx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("PK\x03\x04 not a workbook"),
  });
  const broken = page.locator(".file").filter({ hasText: "broken.xlsx" });
  await broken.locator(".problem").waitFor();
  seen.broken = (await broken.locator(".problem").textContent()).trim();
  check(seen.broken.startsWith("This file could not be read: broken.xlsx"), `broken: ${seen.broken}`);

  // Diagnose a message with its SKU.
  await page.fill("#diagnose textarea", "Error 501: server error");
  await page.fill("#diagnose input[name=sku]", "KAOS  HITAM-M");
  await page.selectOption("#diagnose select", "shopee");
  await page.click("#diagnose button");
  await page.locator(".diagnosis h3").first().waitFor();
  seen.diagnosis = (await page.locator(".diagnosis h3").first().textContent()).trim();
  seen.steps = await page.locator(".diagnosis ol li").count();
  check(seen.steps > 0, "the diagnosis has steps");

  // Vietnamese, switched on the page, labels the results too.
  await page.selectOption("#language", "vi");
  seen.vietnamese = (await page.locator(".diagnosis strong").first().textContent()).trim();
  check(seen.vietnamese === "SKU bị lỗi gì", `Vietnamese labels: ${seen.vietnamese}`);
  seen.vietnameseRole = await page.locator("td[data-role=parent_sku]").first().textContent();
  check(seen.vietnameseRole === "SKU cha", `Vietnamese role names: ${seen.vietnameseRole}`);
  await page.selectOption("#language", "en");

  check(errors.length === 0, `no script errors: ${errors.join("; ")}`);
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(`${error.message}\nseen: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
