// End-to-end: the built `lunas serve` binary on a fresh database, driven through its
// dashboard in headless Chromium (Debian's, through playwright-core) and through the
// SNAP API as a merchant's backend would call it.
//
//   LUNAS_BIN=target/debug/lunas node --test e2e/dashboard.test.mjs
//   SCREENSHOTS=docs/screenshots ...   also saves the main pages
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createHmac, createSign, generateKeyPairSync, randomInt } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const BIN = resolve(process.env.LUNAS_BIN ?? "target/debug/lunas");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.SCREENSHOTS;
const WAIT = { timeout: 15_000 };

let lunas, base, token, dir, browser, page, callback;
let output = "";
const received = [];

/** Starts `lunas serve` on port 0 and reads the dashboard address and token it prints. */
async function startLunas() {
  dir = mkdtempSync(join(tmpdir(), "lunas-e2e-"));
  // No operator token: the sandbox makes one, as on a developer's first run.
  const env = { ...process.env, RUST_LOG: "warn" };
  delete env.LUNAS_OPERATOR_TOKEN;
  lunas = spawn(BIN, ["--database", `sqlite:${join(dir, "lunas.db")}`, "serve", "--listen", "127.0.0.1:0"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`lunas did not start:\n${output}`)), 30_000);
    lunas.stderr.on("data", (chunk) => {
      output += chunk;
      const url = output.match(/(http:\/\/[\d.:]+)\/dashboard\//);
      const printed = output.match(/operator token: (\S+)/);
      if (url && printed) {
        [base, token] = [url[1], printed[1]];
        clearTimeout(timer);
        ok();
      }
    });
    lunas.on("exit", (code) => fail(new Error(`lunas exited ${code}:\n${output}`)));
  });
}

/** The merchant's callback endpoint: answers 200 and keeps what arrived. */
async function startCallback() {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"responseCode":"2005200","responseMessage":"Successful"}');
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/notify` };
}

// ---- a merchant's backend, signing as SNAP says -----------------------------------

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = keys.publicKey.export({ type: "spki", format: "pem" });
const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "+00:00");
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

async function accessToken(partnerId) {
  const ts = timestamp();
  const signature = createSign("RSA-SHA256").update(`${partnerId}|${ts}`).sign(keys.privateKey, "base64");
  const res = await fetch(`${base}/v1.0/access-token/b2b`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-TIMESTAMP": ts, "X-CLIENT-KEY": partnerId, "X-SIGNATURE": signature },
    body: '{"grantType":"client_credentials"}',
  });
  const answer = await res.json();
  assert.equal(answer.responseCode, "2007300", JSON.stringify(answer));
  return answer.accessToken;
}

/** A type-1 (HMAC) SNAP call; `signedBody` is what the signature covers. */
async function snap(merchant, accessToken, path, body, signedBody = body) {
  const ts = timestamp();
  const sts = `POST:${path}:${accessToken}:${sha256(signedBody)}:${ts}`;
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${accessToken}`,
      "X-TIMESTAMP": ts,
      "X-SIGNATURE": createHmac("sha512", merchant.client_secret).update(sts).digest("base64"),
      "X-PARTNER-ID": merchant.partner_id,
      "X-EXTERNAL-ID": String(randomInt(1e9, 1e10)),
      "CHANNEL-ID": "95221",
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}

const generateBody = (amount) =>
  JSON.stringify({
    partnerReferenceNo: `INV${Date.now()}${randomInt(1000)}`,
    amount: { value: amount, currency: "IDR" },
    additionalInfo: { callbackUrl: callback.url },
  });

async function shot(name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  callback = await startCallback();
  await startLunas();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  callback?.server.close();
  lunas?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a story; on failure, leaves what the page showed for whoever reads the log. */
async function story(steps) {
  try {
    await steps();
  } catch (error) {
    const shown = await page.locator("body").innerText().catch(() => "(no page)");
    console.error(`the page showed:\n${shown}\nnotifications received: ${received.length}\nlunas said:\n${output}`);
    throw error;
  }
}

test("a developer's first integration, from sign-in to a resent notification", () => story(async () => {
  // Sign in: a wrong token is refused, the printed one works.
  await page.goto(`${base}/dashboard/`);
  await shot("login");
  await page.fill("input[name=token]", "not-the-token-at-all-0123456789");
  await page.click("form.login button");
  await page.locator("#toast.error").waitFor(WAIT);
  await page.fill("input[name=token]", token);
  await page.click("form.login button");
  await page.locator("#nav").waitFor(WAIT);
  assert.equal(await page.textContent("#mode"), "sandbox");

  // Create a merchant with an RSA key; its credentials are shown once.
  await page.click("a[href='#/merchants']");
  await page.fill("input[name=name]", "Toko Budi");
  await page.fill("input[name=callback_url]", callback.url);
  await page.fill("textarea[name=public_key_pem]", publicPem);
  await page.click("text=Create merchant");
  const credentials = JSON.parse(await page.locator("#credentials pre").textContent(WAIT));
  assert.match(credentials.partner_id, /^\S+$/);
  assert.ok(credentials.client_secret.length >= 16);

  // The merchant's backend: a token, a refused request (the body signed pretty-printed),
  // then a QR generated properly.
  const accessTokenValue = await accessToken(credentials.partner_id);
  const body = generateBody("25000.00");
  const pretty = JSON.stringify(JSON.parse(body), null, 2);
  const refused = await snap(credentials, accessTokenValue, "/v1.0/qr/qr-mpm-generate", pretty, pretty);
  assert.equal(refused.status, 401);
  const qr = await snap(credentials, accessTokenValue, "/v1.0/qr/qr-mpm-generate", body);
  assert.equal(qr.body.responseCode, "2004700", JSON.stringify(qr.body));

  // The refused request, and why: lunas hashes the minified body.
  await page.click("a[href='#/requests']");
  await page.locator("text=signature refused").first().click();
  await page.locator("#explanation").waitFor(WAIT);
  assert.match(await page.textContent("#explanation .finding"), /hashed as sent/);
  const signed = await page.textContent("#explanation pre.sts");
  const expected = `POST:/v1.0/qr/qr-mpm-generate:${accessTokenValue.slice(0, 6)}…:${sha256(body)}:`;
  assert.ok(signed.startsWith(expected), `${signed} starts with ${expected}`);
  await shot("request-explanation");

  // The payment: its QR as an image; paid from the dashboard, the page follows.
  await page.click("a[href='#/payments']");
  await page.locator(`text=${qr.body.referenceNo}`).waitFor(WAIT);
  await shot("payments");
  await page.click(`text=${qr.body.referenceNo}`);
  const image = page.locator(".qr img");
  await image.waitFor(WAIT);
  assert.ok((await image.evaluate((img) => img.naturalWidth)) > 100, "the QR is drawn");
  await page.click("#pay");
  await page.locator(".badge.state-paid").first().waitFor(WAIT);

  // The notification arrives, and its attempt shows up without a reload.
  await page.locator(".delivery tbody .badge.ok").waitFor(WAIT);
  assert.equal(received.length, 1);
  assert.equal(JSON.parse(received[0].body).originalReferenceNo, qr.body.referenceNo);
  assert.equal(await page.locator(".delivery tbody tr").count(), 1);
  await shot("payment");

  // Resent: it arrives again, and a second attempt is listed.
  await page.click(".delivery button.resend");
  await page.locator(".delivery tbody tr:nth-child(2)").waitFor(WAIT);
  assert.equal(received.length, 2);

  // The sandbox clock: a second QR, watched on its page while the clock moves an hour
  // (through the sandbox API, as a merchant's CI would): the page follows, no reload.
  const later = await snap(credentials, accessTokenValue, "/v1.0/qr/qr-mpm-generate", generateBody("5000.00"));
  await page.goto(`${base}/dashboard/#/payments/${later.body.referenceNo}`);
  await page.locator(".badge.state-pending").first().waitFor(WAIT);
  const moved = await fetch(`${base}/sandbox/clock/advance`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"seconds":3600}',
  });
  assert.equal(moved.status, 200, await moved.text());
  await page.locator(".badge.state-expired").first().waitFor(WAIT);

  // The sandbox page lists that move, and one more made from it.
  await page.click("a[href='#/sandbox']");
  await page.click("text=+1 hour");
  await page.locator("section table tbody tr:nth-child(2)").waitFor(WAIT);
  await shot("sandbox");
}));
