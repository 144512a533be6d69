// The lunas dashboard: a client of the operator API (and, in sandbox mode, of the
// sandbox routes). No build step and no dependencies: the binary embeds these files.
// Every text from the API goes into the page as text nodes, never as HTML, since
// request logs hold whatever merchants sent.

const main = document.getElementById("main");
const TOKEN_KEY = "lunas.operatorToken";
const POLL_MS = 2000;
let token = sessionStorage.getItem(TOKEN_KEY);
let info = null;
let poll = null;

/** An element: `h("td", {class: "x", onclick}, "text", child, ...)`. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function toast(message, error = false) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = error ? "error" : "";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

class ApiError extends Error {}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && path.startsWith("/operator/")) {
    signOut();
    throw new ApiError("sign in again: the operator token was refused");
  }
  if (!res.ok) throw new ApiError(data.message || data.error || res.statusText);
  return data;
}

/** Runs an action from a button, then reloads the view; errors become a toast. */
function action(run, done) {
  return async (event) => {
    event?.preventDefault();
    try {
      const result = await run();
      if (done) toast(typeof done === "function" ? done(result) : done);
      await route();
    } catch (e) {
      toast(e.message, true);
    }
  };
}

const badge = (text, cls = "") => h("span", { class: `badge ${cls}` }, text);
const stateBadge = (state) => badge(state, `state-${state}`);
const statusBadge = (status) => badge(status ?? "—", status >= 200 && status < 300 ? "ok" : "bad");
const table = (head, rows) =>
  h("table", {}, h("thead", {}, h("tr", {}, head.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
const pretty = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};
const query = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined && v !== null));
  return q.toString() ? `?${q}` : "";
};
const formValues = (form) => Object.fromEntries(new FormData(form).entries());
const field = (label, name, attrs = {}) => h("label", {}, label, h("input", { name, ...attrs }));
const choice = (label, name, options, value = "") =>
  h("label", {}, label, h("select", { name }, options.map((o) => h("option", { value: o, selected: o === value }, o || "any"))));

// ---- views ---------------------------------------------------------------------

async function paymentsView(params) {
  const page = await api(`/operator/v1/payments${query(params)}`);
  const filters = h(
    "form",
    { class: "filters", onsubmit: (e) => { e.preventDefault(); go("/payments", formValues(e.target)); } },
    field("Reference", "reference", { value: params.reference ?? "", placeholder: "referenceNo or yours" }),
    field("Merchant", "merchant", { value: params.merchant ?? "", placeholder: "partner id" }),
    choice("State", "state", ["", "pending", "paid", "partially_refunded", "refunded", "canceled", "expired"], params.state),
    choice("Face", "face", ["", "snap", "snap_va", "pg3"], params.face),
    choice("Kind", "kind", ["", "qris", "virtual_account"], params.kind),
    h("button", {}, "Search"),
  );
  const rows = page.payments.map((p) =>
    h("tr", { class: "link", onclick: () => go(`/payments/${encodeURIComponent(p.reference_no)}`) },
      h("td", {}, p.reference_no), h("td", {}, p.merchant_reference), h("td", {}, p.face), h("td", {}, p.instrument.kind),
      h("td", {}, p.amount), h("td", {}, stateBadge(p.state)), h("td", { class: "muted" }, p.created_at)),
  );
  const next = page.next_cursor && h("button", { class: "secondary", onclick: () => go("/payments", { ...params, cursor: page.next_cursor }) }, "Next page");
  return [h("h1", {}, "Payments"), h("section", {}, filters,
    table(["Reference", "Merchant's", "Face", "Kind", "Amount", "State", "Created"], rows),
    rows.length ? next : h("p", { class: "muted" }, "No payment matches."))];
}

function sandboxPayment(p) {
  if (info.mode !== "sandbox" || p.state !== "pending") return null;
  const ref = encodeURIComponent(p.reference_no);
  const pay = h("form", { class: "row", onsubmit: action(() => {
    const { amount } = formValues(pay);
    return fetchJson(`/sandbox/transactions/${ref}/pay`, amount ? { amount } : {});
  }, "Payment reported") },
    field("Amount (empty: what is due)", "amount", { placeholder: p.amount, inputmode: "decimal" }),
    h("button", { id: "pay" }, "Pay"));
  const expire = h("button", { class: "secondary", onclick: action(() => fetchJson(`/sandbox/transactions/${ref}/expire`, {}), "Expired") }, "Expire now");
  return h("section", {}, h("h2", {}, "Sandbox: play the customer"), pay, expire);
}

/** The sandbox routes need no token: they stand for the customer's bank or wallet. */
async function fetchJson(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(data.message || data.error || res.statusText);
  return data;
}

function deliveryRecord(d) {
  const attempts = d.attempts.map((a) =>
    h("tr", {}, h("td", {}, a.attempt), h("td", { class: "muted" }, a.at), h("td", {}, statusBadge(a.status)),
      h("td", {}, `${a.latency_ms} ms`), h("td", {}, a.error ?? "", a.response ? h("pre", {}, a.response) : null)));
  const state = d.delivered ? badge("delivered", "ok") : d.parked ? badge("parked", "bad") : badge("pending");
  return h("section", { class: "delivery" },
    h("div", { class: "row" }, h("strong", {}, `Notification #${d.id}`), state, h("span", { class: "muted" }, d.target_url),
      h("button", { class: "secondary resend", onclick: action(() => api(`/operator/v1/deliveries/${d.id}/resend`, { method: "POST" }), "Sent again") }, "Resend")),
    attempts.length ? table(["#", "At", "Status", "Latency", "Answer or error"], attempts) : h("p", { class: "muted" }, "Not tried yet."));
}

async function paymentView(reference) {
  const p = await api(`/operator/v1/payments/${encodeURIComponent(reference)}`);
  const i = p.instrument;
  const facts = h("dl", {}, [
    ["State", stateBadge(p.state)], ["Amount", p.amount], ["Received", p.received], ["Refunded", p.refunded],
    ["Merchant's reference", p.merchant_reference], ["Order", p.order_id ?? "—"], ["Face", p.face],
    ["Created", p.created_at], ["Expires", p.expires_at], ["Paid", p.paid_at ?? "—"], ["Callback", p.callback_url],
    i.kind === "qris" ? ["QR content", h("code", {}, i.content)] : ["VA", `${i.channel} ${i.number} (${i.name})`],
  ].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const qr = p.qr_image && h("div", { class: "qr" }, h("img", { alt: "QR code", src: `data:image/png;base64,${p.qr_image}` }));
  const history = p.history.map((c) =>
    h("tr", {}, h("td", {}, c.version), h("td", {}, c.kind), h("td", {}, c.amount ?? ""), h("td", {}, stateBadge(c.state)), h("td", { class: "muted" }, c.at)));
  const receipts = p.receipts.map((r) => h("tr", {}, h("td", {}, r.amount), h("td", {}, r.issuer ?? ""), h("td", {}, r.retrieval_reference_no ?? ""), h("td", { class: "muted" }, r.paid_at)));
  const refunds = p.refunds.map((r) => h("tr", {}, h("td", {}, r.refund_no), h("td", {}, r.merchant_refund_no), h("td", {}, r.amount), h("td", {}, r.reason ?? ""), h("td", { class: "muted" }, r.created_at)));
  return [
    h("h1", {}, "Payment ", h("code", {}, p.reference_no)),
    h("div", { class: "grid" }, h("section", {}, facts), h("section", {}, qr || h("p", { class: "muted" }, "No QR for this payment."))),
    sandboxPayment(p),
    h("h2", {}, "History"), h("section", {}, table(["Version", "Change", "Amount", "State after", "At"], history)),
    receipts.length ? [h("h2", {}, "Receipts"), h("section", {}, table(["Amount", "Issuer", "RRN", "Paid"], receipts))] : null,
    refunds.length ? [h("h2", {}, "Refunds"), h("section", {}, table(["Refund", "Merchant's", "Amount", "Reason", "At"], refunds))] : null,
    h("h2", {}, "Notifications"), p.deliveries.length ? p.deliveries.map(deliveryRecord) : h("p", { class: "muted" }, "None."),
  ];
}

async function deliveriesView(params) {
  const page = await api(`/operator/v1/deliveries${query(params)}`);
  const filters = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); go("/deliveries", formValues(e.target)); } },
    field("Merchant", "merchant", { value: params.merchant ?? "", placeholder: "partner id" }),
    choice("Which", "undelivered", ["", "true"], params.undelivered), h("button", {}, "Filter"));
  const rows = page.deliveries.map((d) =>
    h("tr", { class: "link", onclick: () => go(`/payments/${encodeURIComponent(d.reference_no)}`) },
      h("td", {}, d.id), h("td", {}, d.reference_no), h("td", {}, d.target_url), h("td", {}, d.attempts),
      h("td", {}, d.delivered ? badge("delivered", "ok") : d.parked ? badge("parked", "bad") : badge("pending")),
      h("td", {}, d.last_status ?? ""), h("td", {}, d.last_error ?? "")));
  return [h("h1", {}, "Notifications"), h("section", {}, filters,
    table(["#", "Payment", "URL", "Attempts", "State", "Last status", "Last error"], rows),
    page.next_cursor && h("button", { class: "secondary", onclick: () => go("/deliveries", { ...params, cursor: page.next_cursor }) }, "Next page"))];
}

async function requestsView(params) {
  const page = await api(`/operator/v1/requests${query(params)}`);
  const filters = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); go("/requests", formValues(e.target)); } },
    field("Merchant", "merchant", { value: params.merchant ?? "", placeholder: "partner id" }),
    choice("Answers", "failed", ["", "true"], params.failed), h("button", {}, "Filter"));
  const rows = page.requests.map((r) =>
    h("tr", { class: "link", onclick: () => go(`/requests/${r.id}`) },
      h("td", { class: "muted" }, r.at), h("td", {}, r.partner_id ?? "—"), h("td", {}, r.method), h("td", {}, r.path),
      h("td", {}, statusBadge(r.status)), h("td", {}, r.signature_refused ? badge("signature refused", "bad") : ""),
      h("td", {}, `${r.latency_ms.toFixed(1)} ms`)));
  return [h("h1", {}, "Request log"), h("p", { class: "muted" }, "Every SNAP and PG3 call this sandbox answered; credentials and signatures are masked."),
    h("section", {}, filters, table(["At", "Merchant", "Method", "Path", "Status", "", "Latency"], rows),
      page.next_cursor && h("button", { class: "secondary", onclick: () => go("/requests", { ...params, cursor: page.next_cursor }) }, "Older"))];
}

async function requestView(id) {
  const r = await api(`/operator/v1/requests/${encodeURIComponent(id)}`);
  const e = r.explanation;
  const explanation = e && h("section", { class: "explanation", id: "explanation" },
    h("h2", {}, "Why the signature was refused"),
    h("p", { class: "finding" }, h("strong", {}, e.finding)),
    h("dl", {}, h("dt", {}, "Scheme"), h("dd", {}, e.scheme),
      e.minified_body !== null ? [h("dt", {}, "Minified body"), h("dd", {}, h("pre", {}, e.minified_body))] : null,
      e.body_hash ? [h("dt", {}, "Body hash (SHA-256)"), h("dd", {}, h("code", {}, e.body_hash))] : null,
      h("dt", {}, "String to sign"), h("dd", {}, h("pre", { class: "sts" }, e.string_to_sign))));
  return [
    h("h1", {}, `${r.method} ${r.path}`),
    h("p", {}, statusBadge(r.status), " ", h("span", { class: "muted" }, `${r.at} · ${r.latency_ms.toFixed(1)} ms · ${r.partner_id ?? "no merchant named"}`)),
    explanation,
    h("h2", {}, "Request"), h("section", {}, table(["Header", "Value"], r.headers.map((x) => h("tr", {}, h("td", {}, x.name), h("td", {}, x.value)))),
      h("pre", {}, pretty(r.body) || "(empty body)")),
    h("h2", {}, "Answer"), h("section", {}, h("pre", {}, pretty(r.answer))),
  ];
}

async function merchantsView() {
  const { merchants } = await api("/operator/v1/merchants");
  const shown = merchantsView.credentials;
  merchantsView.credentials = null;
  const credentials = shown && h("section", { class: "secret", id: "credentials" },
    h("h2", {}, `Credentials of ${shown.partner_id}: shown this once`),
    h("pre", {}, JSON.stringify(shown, null, 2)));
  const create = h("form", { class: "row", onsubmit: action(async () => {
    const v = formValues(create);
    const body = { name: v.name, callback_url: v.callback_url || undefined, public_key_pem: v.public_key_pem || undefined };
    merchantsView.credentials = await api("/operator/v1/merchants", { method: "POST", body });
  }, "Merchant created") },
    field("Name", "name", { required: true }), field("Callback URL", "callback_url", { type: "url", size: 40 }),
    h("label", {}, "Public key (PEM, for SNAP RSA)", h("textarea", { name: "public_key_pem", rows: 3, cols: 50 })),
    h("button", {}, "Create merchant"));
  const rows = merchants.map((m) => h("tr", {}, h("td", {}, m.partner_id), h("td", {}, m.name), h("td", {}, m.callback_url ?? "—"),
    h("td", {}, m.has_public_key ? "yes" : "no"),
    h("td", {}, h("button", { class: "secondary", onclick: action(async () => {
      if (!confirm(`New secrets for ${m.partner_id}? The old ones stop working at once.`)) return;
      merchantsView.credentials = await api(`/operator/v1/merchants/${encodeURIComponent(m.partner_id)}/rotate`, { method: "POST" });
    }) }, "Rotate secrets"))));
  return [h("h1", {}, "Merchants"), credentials, h("section", {}, create),
    h("section", {}, table(["Partner id", "Name", "Callback", "RSA key", ""], rows))];
}

async function sandboxView() {
  const clock = await fetch("/sandbox/clock").then((r) => r.json());
  const move = (seconds) => action(() => fetchJson("/sandbox/clock/advance", { seconds }), "Clock moved");
  const custom = h("form", { class: "row", onsubmit: (e) => move(Number(formValues(custom).seconds))(e) },
    field("Seconds", "seconds", { type: "number", min: 1, required: true }), h("button", {}, "Move"));
  const moves = clock.moves.map((m) => h("tr", {}, h("td", { class: "muted" }, m.at), h("td", {}, `${m.by_seconds} s`), h("td", {}, m.now)));
  const fail = h("form", { class: "row", onsubmit: action(() => {
    const v = formValues(fail);
    return fetchJson(`/sandbox/merchants/${encodeURIComponent(v.merchant)}/fail-deliveries`, { count: Number(v.count) });
  }, (r) => `The next ${r.failures_left} deliveries to ${r.partner_id} will fail`) },
    field("Merchant", "merchant", { required: true, placeholder: "partner id" }),
    field("Next N deliveries", "count", { type: "number", min: 0, value: 3, required: true }), h("button", {}, "Make them fail"));
  return [h("h1", {}, "Sandbox"),
    h("section", {}, h("h2", {}, "Clock"),
      h("p", {}, "Sandbox time: ", h("strong", { id: "sandbox-now" }, clock.now), ` (${clock.skew_seconds} s ahead of real time)`),
      h("div", { class: "row" }, h("button", { class: "secondary", onclick: move(900) }, "+15 minutes"),
        h("button", { class: "secondary", onclick: move(3600) }, "+1 hour"), h("button", { class: "secondary", onclick: move(86400) }, "+1 day"),
        h("button", { class: "secondary", onclick: action(() => fetchJson("/sandbox/clock/reset", {}), "Back to real time") }, "Reset")),
      custom, moves.length ? table(["Moved at (real time)", "By", "Sandbox time after"], moves) : null),
    h("section", {}, h("h2", {}, "Failing notifications"), h("p", { class: "muted" }, "The merchant's endpoint is called as usual, and the attempt is then counted as failed, so its retries follow."), fail)];
}

function loginView() {
  const form = h("form", { class: "login", onsubmit: async (e) => {
    e.preventDefault();
    token = formValues(form).token.trim();
    try {
      await start();
    } catch (err) {
      token = null;
      toast(err.message, true);
    }
  } },
    h("section", {}, h("h1", {}, "Sign in"),
      h("p", { class: "muted" }, "The operator token from lunas's configuration (LUNAS_OPERATOR_TOKEN), or the one `lunas serve` printed in the sandbox."),
      h("label", {}, "Operator token", h("input", { name: "token", type: "password", autocomplete: "current-password", required: true })),
      h("p", {}, h("button", {}, "Sign in"))));
  return [form];
}

// ---- routing -------------------------------------------------------------------

const routes = [
  [/^\/payments\/(.+)$/, (m) => paymentView(decodeURIComponent(m[1]))],
  [/^\/payments$/, (_, params) => paymentsView(params)],
  [/^\/deliveries$/, (_, params) => deliveriesView(params)],
  [/^\/requests\/(\d+)$/, (m) => requestView(m[1])],
  [/^\/requests$/, (_, params) => requestsView(params)],
  [/^\/merchants$/, () => merchantsView()],
  [/^\/sandbox$/, () => sandboxView()],
];

function go(path, params = {}) {
  location.hash = `#${path}${query(params)}`;
}

let rendered = "";

/** Renders the view the hash names; with `quiet`, only when its data changed. */
async function route(quiet = false) {
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(search ?? ""));
  for (const [pattern, view] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", path.startsWith(a.getAttribute("href").slice(1)));
    try {
      const nodes = h("div", {}, await view(m, params));
      const html = nodes.innerHTML;
      if (quiet && html === rendered) return;
      rendered = html;
      main.replaceChildren(...nodes.childNodes);
    } catch (e) {
      if (quiet) return;
      main.replaceChildren(h("section", {}, h("p", { class: "bad" }, e.message)));
    }
    return;
  }
  go("/payments");
}

/** Keeps the view current while nobody is typing in it. */
function keepCurrent() {
  clearInterval(poll);
  poll = setInterval(() => {
    const typing = main.contains(document.activeElement) && document.activeElement.matches("input, select, textarea");
    if (!typing && !document.hidden && token) route(true);
  }, POLL_MS);
}

async function start() {
  info = await api("/operator/v1/info");
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("mode").textContent = info.mode;
  for (const a of document.querySelectorAll("[data-sandbox]")) a.hidden = info.mode !== "sandbox";
  document.getElementById("nav").hidden = false;
  keepCurrent();
  await route();
}

function signOut() {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(poll);
  document.getElementById("nav").hidden = true;
  main.replaceChildren(...loginView());
}

document.getElementById("logout").addEventListener("click", signOut);
window.addEventListener("hashchange", () => token && info && route());
if (token) start().catch(signOut);
else signOut();
