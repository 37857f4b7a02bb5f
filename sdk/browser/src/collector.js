// sessiondx browser collector. Turns what happens in the customer's browser into events of the
// webhook contract (docs/events.md) and posts them in batches to the site's own backend, whose
// relay signs and forwards them to sessiondx. Every event type and attribute it sends is listed
// in docs/integration.md.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';
import { scrub } from './scrub.js';

// No 0/O/o, 1/l/I/i: a customer reading the id out on the phone cannot confuse two characters.
export const DEFAULT_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';

const DEFAULTS = {
  endpoint: '/sessiondx/events',
  appVersion: '',
  cookieName: 'sdx_sid',
  cookieMaxAgeS: 0, // 0: a browser-session cookie
  idLength: 16,
  alphabet: DEFAULT_ALPHABET,
  routes: [], // route templates, e.g. '/api/orders/:id'
  allowQuery: false, // send query strings of page and request URLs
  slowRequestMs: 3000,
  longTaskMs: 50,
  rageClickCount: 3,
  rageClickGapMs: 1000,
  deadClickMs: 1000,
  batchSize: 50,
  flushIntervalMs: 5000,
  maxQueue: 500,
  maxBackoffMs: 60000,
  clicks: true, // send a `click` event for every click (the diagnosis finds rage and error clicks)
};

let cfg = null;
let queue = [];
let inflight = false;
let backoffMs = 0;
let retryAt = 0;
let timer = 0;
let currentId = '';
let dropped = 0;
let lastActivity = 0; // performance.now() of the latest DOM mutation, request or navigation
let ctx = null;

const now = () => Date.now();
const perf = () => performance.now();
const round = (v, d = 0) => (typeof v === 'number' && isFinite(v) ? +v.toFixed(d) : undefined);

function randomString(len, alphabet) {
  const out = [];
  const limit = 256 - (256 % alphabet.length); // rejection sampling keeps it uniform
  while (out.length < len) {
    const bytes = crypto.getRandomValues(new Uint8Array(len * 2));
    for (let i = 0; i < bytes.length && out.length < len; i++) {
      if (bytes[i] < limit) out.push(alphabet[bytes[i] % alphabet.length]);
    }
  }
  return out.join('');
}

let seq = 0;
// Unique, time-ordered, generated once per event and kept across retries (the idempotency key).
const eventId = () =>
  'e' + now().toString(36) + (seq++ % 1296).toString(36).padStart(2, '0') + randomString(10, DEFAULT_ALPHABET);

// ---- session id ----

function readCookie(name) {
  const m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : '';
}

function writeCookie(name, value) {
  let c = `${name}=${value}; path=/; SameSite=Lax`;
  if (cfg.cookieMaxAgeS > 0) c += `; max-age=${cfg.cookieMaxAgeS}`;
  if (location.protocol === 'https:') c += '; Secure';
  document.cookie = c;
}

function showId(id) {
  document.querySelectorAll('[data-sessiondx-id]').forEach((el) => {
    if (el.textContent !== id) el.textContent = id;
  });
}

let cookiesWork = true;
let prevId = '';
let sessionStartedAt = 0; // performance.now() when this page started the current session
function startSession() {
  prevId = currentId;
  sessionStartedAt = perf();
  currentId = randomString(cfg.idLength, cfg.alphabet);
  writeCookie(cfg.cookieName, currentId);
  cookiesWork = readCookie(cfg.cookieName) === currentId; // else: an id for this page only
  showId(currentId);
  record('session_start', {
    attrs: { referrer: document.referrer ? cleanUrl(document.referrer) : '', landing_page: path() },
  });
  return currentId;
}

export function sessionId() {
  if (!cfg) return '';
  const c = readCookie(cfg.cookieName);
  if (c && c === currentId) return c;
  if (c && /^[A-Za-z0-9_-]{8,64}$/.test(c)) {
    currentId = c; // another tab started a new session
    showId(c);
    return c;
  }
  if (currentId && !cookiesWork) return currentId;
  return startSession(); // no cookie (first visit, cookie reset): a new session
}

/** Call on logout: sends what the old session still has queued, then starts a new one. */
export function newSession() {
  if (!cfg) return '';
  sendTasks();
  sendVitals();
  if (currentId) record('session_end', { attrs: { reason: 'new session' } });
  flush();
  return startSession();
}

// ---- context ----

function detectContext() {
  const ua = navigator.userAgent;
  let browser = '';
  const b = ['Edge=Edg(?:e|A|iOS)?', 'Opera=OPR', 'Samsung Internet=SamsungBrowser', 'Firefox=Firefox|FxiOS', 'Chrome=Chrome|CriOS', 'Safari=Version'];
  for (const x of b) {
    const [name, re] = x.split('=');
    const m = ua.match(new RegExp(`(?:${re})/(\\d+)`));
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  let os = '';
  let m;
  if ((m = ua.match(/Windows NT (\d+\.\d+)/))) os = m[1] === '10.0' ? 'Windows 10/11' : 'Windows';
  else if ((m = ua.match(/Android (\d+)/))) os = 'Android ' + m[1];
  else if ((m = ua.match(/(?:iPhone|iPad|iPod).* OS (\d+)_(\d+)/))) os = `iOS ${m[1]}.${m[2]}`;
  else if ((m = ua.match(/Mac OS X (\d+)[_.](\d+)/))) os = `macOS ${m[1]}.${m[2]}`;
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Linux/.test(ua)) os = 'Linux';
  const uad = navigator.userAgentData;
  let device = 'desktop';
  if (/iPad|Tablet/.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) device = 'tablet';
  else if ((uad && uad.mobile) || /Mobi|iPhone|iPod/.test(ua)) device = 'mobile';
  let timezone = '';
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (_) {
    /* no Intl */
  }
  const c = { browser, os, device, locale: navigator.language || '', timezone };
  if (cfg.appVersion) c.app_version = cfg.appVersion;
  return c;
}

function context() {
  const conn = navigator.connection;
  const c = Object.assign({}, ctx);
  if (conn && conn.effectiveType) c.connection = conn.effectiveType;
  return c;
}

// ---- URLs ----

function routeOf(pathname) {
  for (const tpl of cfg.routes) {
    const re = new RegExp('^' + tpl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]\w*/g, '[^/]+') + '/?$');
    if (re.test(pathname)) return tpl;
  }
  return pathname
    .split('/')
    .map((s) => (/^(\d+|[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12}|[\da-f]{16,})$/i.test(s) ? ':id' : s))
    .join('/');
}

// Same-origin URLs become paths; query strings and fragments go unless allowQuery.
function cleanUrl(raw) {
  try {
    const u = new URL(raw, location.href);
    const q = cfg.allowQuery ? u.search : '';
    const base = u.origin === location.origin ? u.pathname : u.origin + u.pathname;
    return scrub(base + q);
  } catch (_) {
    return scrub(String(raw).split(/[?#]/)[0]);
  }
}

const path = () => cleanUrl(location.href);

// ---- queue and delivery ----

function record(type, ev = {}) {
  if (!cfg) return;
  // Something that began before newSession() (a long task, the logout click's INP) but is
  // reported after it belongs to the old session.
  const sid = prevId && ev.at !== undefined && ev.at < sessionStartedAt ? prevId : sessionId();
  const e = { id: eventId(), session_id: sid, ts: ev.ts || now(), type, page: path() };
  if (ev.severity) e.severity = ev.severity;
  if (ev.message) e.message = scrub(ev.message);
  if (ev.attrs) e.attrs = ev.attrs;
  e.context = context();
  if (queue.length >= cfg.maxQueue) {
    queue.shift(); // bounded: the oldest event goes first
    dropped++;
  }
  queue.push(e);
  if (queue.length >= cfg.batchSize) send();
  else schedule(cfg.flushIntervalMs);
}

function schedule(ms) {
  if (!timer) timer = setTimeout(() => ((timer = 0), send()), Math.max(ms, retryAt - now()));
}

function takeBatch() {
  const batch = queue.splice(0, cfg.batchSize);
  if (dropped && batch.length) {
    batch[0].attrs = Object.assign({}, batch[0].attrs, { collector_dropped: dropped });
    dropped = 0;
  }
  return batch;
}

function send() {
  if (inflight || !queue.length || now() < retryAt) {
    if (queue.length) schedule(cfg.flushIntervalMs);
    return;
  }
  inflight = true;
  const batch = takeBatch();
  const body = JSON.stringify(batch);
  origFetch(cfg.endpoint, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    keepalive: body.length < 60000,
  }).then(
    (res) => done(batch, res.status < 500 && res.status !== 429 && res.status !== 408, +res.headers.get('retry-after')),
    () => done(batch, false, 0),
  );
}

function done(batch, ok, retryAfterS) {
  inflight = false;
  if (ok) {
    backoffMs = 0; // a 4xx other than 408/429 is not retried: resending would not fix the batch
    retryAt = 0;
  } else {
    queue = batch.concat(queue).slice(0, cfg.maxQueue); // same event ids: retries are duplicates
    backoffMs = Math.min(cfg.maxBackoffMs, backoffMs ? backoffMs * 2 : 1000);
    retryAt = now() + Math.max(retryAfterS * 1000 || 0, backoffMs * (0.5 + Math.random() / 2));
  }
  if (queue.length) schedule(ok ? 0 : cfg.flushIntervalMs);
}

/** Sends everything queued now: with sendBeacon when the page is going away. */
export function flush(leaving) {
  if (!cfg) return;
  if (!leaving) return send();
  while (queue.length) {
    const batch = takeBatch();
    const body = JSON.stringify(batch);
    const blob = new Blob([body], { type: 'application/json' });
    if (!(navigator.sendBeacon && navigator.sendBeacon(cfg.endpoint, blob))) {
      origFetch(cfg.endpoint, { method: 'POST', body, headers: { 'content-type': 'application/json' }, keepalive: true }).catch(
        () => {},
      );
    }
  }
}

// ---- the API for what the user saw ----

/** A message shown to the customer: level info|success|warning|error|critical. */
export function message(level, text, component) {
  const lvl = ['info', 'success', 'warning', 'error', 'critical'].indexOf(level) >= 0 ? level : 'info';
  const attrs = { level: lvl, text: scrub(String(text)) };
  if (component) attrs.component = String(component);
  record('ui_message', { severity: lvl === 'success' ? 'info' : lvl, attrs });
}

// ---- observers ----

function selector(el) {
  if (!el || el.nodeType !== 1) return '';
  const parts = [];
  for (let n = el; n && n.nodeType === 1 && parts.length < 4; n = n.parentElement) {
    let s = n.localName;
    if (n.id) {
      parts.unshift(s + '#' + n.id);
      break;
    }
    const cls = typeof n.className === 'string' ? n.className.trim().split(/\s+/).filter(Boolean).slice(0, 2) : [];
    if (cls.length) s += '.' + cls.join('.');
    parts.unshift(s);
    if (n === document.body) break;
  }
  return parts.join(' > ');
}

function observe(type, cb) {
  try {
    const po = new PerformanceObserver((list) => list.getEntries().forEach(cb));
    po.observe({ type, buffered: true });
    return true;
  } catch (_) {
    return false;
  }
}

// Web Vitals are reported with every change and sent when the page is hidden or left, or when
// newSession() is called: they belong to the session in which they were measured.
const pendingVitals = {};
const sentVitals = {};

function sendVitals(only) {
  for (const name in pendingVitals) {
    if (only && name !== only) continue;
    const m = pendingVitals[name];
    delete pendingVitals[name];
    if (sentVitals[name] === m.value) continue; // unchanged since last sent
    sentVitals[name] = m.value;
    record('web_vital', { severity: m.attrs.rating === 'poor' ? 'warning' : undefined, attrs: m.attrs, at: m.at });
  }
}

function vitals() {
  const base = (m, extra) => {
    const a = { name: m.name, value: round(m.value, m.name === 'CLS' ? 4 : 0), rating: m.rating, navigation_type: m.navigationType };
    for (const k in extra) if (extra[k] !== undefined && extra[k] !== '') a[k] = extra[k];
    pendingVitals[m.name] = { value: a.value, attrs: a, at: m.name === 'INP' ? m.attribution.interactionTime : undefined };
    // FCP and TTFB are final when first reported; the others wait for the page to be hidden.
    if (m.name === 'FCP' || m.name === 'TTFB') sendVitals(m.name);
  };
  const all = { reportAllChanges: true };
  onLCP((m) => {
    const t = m.attribution;
    base(m, {
      element: t.target,
      url: t.url ? cleanUrl(t.url) : undefined,
      timeToFirstByte: round(t.timeToFirstByte),
      resourceLoadDelay: round(t.resourceLoadDelay),
      resourceLoadDuration: round(t.resourceLoadDuration),
      elementRenderDelay: round(t.elementRenderDelay),
    });
  }, all);
  onINP((m) => {
    const t = m.attribution;
    base(m, {
      interactionTarget: t.interactionTarget,
      interactionType: t.interactionType,
      inputDelay: round(t.inputDelay),
      processingDuration: round(t.processingDuration),
      presentationDelay: round(t.presentationDelay),
      loadState: t.loadState,
    });
  }, all);
  onCLS((m) => {
    const t = m.attribution;
    base(m, { largestShiftTarget: t.largestShiftTarget, largestShiftValue: round(t.largestShiftValue, 4), loadState: t.loadState });
  }, all);
  onFCP((m) => base(m, { timeToFirstByte: round(m.attribution.timeToFirstByte), firstByteToFCP: round(m.attribution.firstByteToFCP) }));
  onTTFB((m) => {
    const t = m.attribution;
    base(m, {
      waitingDuration: round(t.waitingDuration),
      dnsDuration: round(t.dnsDuration),
      connectionDuration: round(t.connectionDuration),
      requestDuration: round(t.requestDuration),
    });
  });
}

let pageViewSent = false;
function pageView(complete) {
  if (pageViewSent) return;
  pageViewSent = true;
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const attrs = {
    ttfb_ms: round(nav.responseStart),
    fcp_ms: fcp ? round(fcp.startTime) : undefined,
    dom_content_loaded_ms: round(nav.domContentLoadedEventEnd),
    load_ms: complete ? round(nav.loadEventEnd || perf()) : undefined,
    navigation_type: nav.type,
    transfer_size: nav.transferSize,
    complete,
  };
  for (const k in attrs) if (attrs[k] === undefined) delete attrs[k];
  if (document.referrer) attrs.referrer = cleanUrl(document.referrer);
  record('page_view', { attrs });
}

// A long task is the W3C Long Tasks API's: a main-thread task of at least 50 ms. Where the
// browser has Long Animation Frames, the scripts of the frame that contained it are attached.
const frames = [];
function longTasks() {
  observe('long-animation-frame', (e) => {
    if (frames.push(e) > 20) frames.shift();
  });
  observe('longtask', (e) => {
    if (e.duration < cfg.longTaskMs) return;
    // The task's frame is reported a moment after the task: attach it a little later.
    if (pendingTasks.push(e) === 1) setTimeout(sendTasks, 100);
  });
}

const pendingTasks = [];
function sendTasks() {
  for (const e of pendingTasks.splice(0)) {
    const attrs = { duration_ms: round(e.duration) };
    const f = frames.find((x) => x.startTime <= e.startTime + 1 && x.startTime + x.duration >= e.startTime + e.duration - 1);
    if (f && f.scripts && f.scripts.length) {
      attrs.scripts = f.scripts
        .slice()
        .sort((a, b) => b.duration - a.duration)
        .slice(0, 3)
        .map((x) => ({ invoker: scrub(x.invoker), source: x.sourceURL ? cleanUrl(x.sourceURL) : '', duration_ms: round(x.duration) }));
    }
    record('long_task', { attrs, at: e.startTime });
  }
}

function hash(s) {
  let h = 0x811c9dc5; // FNV-1a 32
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

// The same error from two customers gets the same fingerprint: numbers, hex ids and quoted
// values normalised away, plus the top stack frame without line, column and query string.
function fingerprint(msg, stack) {
  const norm = String(msg).replace(/(["'`]).*?\1/g, '?').replace(/0x[0-9a-f]+|[0-9a-f]{8,}|\d+/gi, '#');
  const frame = (String(stack || '').split('\n').find((l) => /\bat\b|@/.test(l)) || '').replace(/[?#][^:)\s]*/g, '').replace(/:\d+(:\d+)?/g, '').trim();
  return hash(norm + '|' + frame);
}

function jsError(msg, err, source) {
  const stack = err && err.stack ? scrub(String(err.stack).split('\n').slice(0, 12).join('\n')) : '';
  const text = scrub(String(msg || (err && err.message) || 'Error'));
  const attrs = { fingerprint: fingerprint(text, stack) };
  if (err && err.name) attrs.name = err.name;
  if (source) attrs.source = cleanUrl(source);
  if (stack) attrs.stack = stack;
  lastActivity = perf();
  record('js_error', { severity: 'error', message: text, attrs });
}

function errors() {
  addEventListener(
    'error',
    (e) => {
      const t = e.target;
      if (t && t !== window && t.nodeType === 1) return resourceError(t);
      const err = e.error;
      const msg = err && err.name && err.message ? `${err.name}: ${err.message}` : e.message;
      jsError(msg, err, e.filename);
    },
    true, // capture phase: resource errors do not bubble
  );
  addEventListener('unhandledrejection', (e) => {
    const r = e.reason;
    const msg = r instanceof Error ? `Unhandled rejection: ${r.name}: ${r.message}` : `Unhandled rejection: ${String(r)}`;
    jsError(msg.slice(0, 500), r instanceof Error ? r : null);
  });
}

function resourceError(el) {
  const raw = el.currentSrc || el.src || el.href;
  if (!raw || typeof raw !== 'string') return;
  let abs;
  try {
    abs = new URL(raw, location.href);
  } catch (_) {
    return;
  }
  const attrs = { url: cleanUrl(raw), element: el.localName, third_party: abs.origin !== location.origin };
  // Resource Timing cannot tell a blocked load (ad blocker) from an unreachable host: both have
  // responseStatus 0 and no protocol. We say what we know.
  const rt = performance.getEntriesByName(abs.href).pop();
  if (rt && 'responseStatus' in rt) attrs.status = rt.responseStatus; // 0: no response
  record('resource_error', { severity: attrs.third_party ? 'warning' : 'error', attrs });
}

// ---- fetch / XHR ----

const origFetch = typeof window !== 'undefined' && typeof fetch === 'function' ? fetch.bind(window) : null;

function isOwn(url) {
  try {
    return new URL(url, location.href).href === new URL(cfg.endpoint, location.href).href;
  } catch (_) {
    return false;
  }
}

function request(method, url, status, started, error) {
  const duration = perf() - started;
  const failed = status >= 400 || status === 0 || error;
  if (!failed && duration <= cfg.slowRequestMs) return;
  let u;
  try {
    u = new URL(url, location.href);
  } catch (_) {
    return;
  }
  const attrs = { method: (method || 'GET').toUpperCase(), route: routeOf(u.pathname), url: cleanUrl(u.href), status, duration_ms: round(duration) };
  if (error) attrs.error = error;
  record('http_request', { severity: status >= 500 || status === 0 ? 'error' : 'warning', attrs });
}

function wrapNetwork() {
  if (origFetch) {
    window.fetch = function (input, init) {
      const url = typeof input === 'string' ? input : input && (input.url || String(input));
      const method = (init && init.method) || (input && input.method) || 'GET';
      const p = origFetch(input, init);
      if (isOwn(url)) return p;
      const t0 = perf();
      lastActivity = t0;
      p.then(
        (res) => request(method, url, res.status, t0),
        (err) => request(method, url, 0, t0, err && err.name === 'AbortError' ? 'aborted' : 'network error'),
      );
      return p;
    };
  }
  const X = window.XMLHttpRequest && XMLHttpRequest.prototype;
  if (!X) return;
  const open = X.open;
  const sendX = X.send;
  X.open = function (method, url) {
    this.__sdx = { method, url };
    return open.apply(this, arguments);
  };
  X.send = function () {
    const info = this.__sdx;
    if (info && !isOwn(info.url)) {
      const t0 = perf();
      lastActivity = t0;
      let err = '';
      this.addEventListener('error', () => (err = 'network error'));
      this.addEventListener('timeout', () => (err = 'timeout'));
      this.addEventListener('abort', () => (err = 'aborted'));
      this.addEventListener('loadend', () => request(info.method, info.url, this.status, t0, err));
    }
    return sendX.apply(this, arguments);
  };
}

// ---- clicks: rage and dead ----
// A chain: clicks on the same target, each within rageClickGapMs of the previous. When the chain
// ends (rageClickGapMs after its last click, and at least deadClickMs after its first) it is a
// rage click with rageClickCount or more clicks, and a dead click when nothing happened since
// its first click: no DOM mutation, request, navigation or JavaScript error.

let chain = null;

function closeChain() {
  const c = chain;
  chain = null;
  if (!c) return;
  // Stamped with the chain's last click (rage) and first click (dead), not with the time the
  // chain was judged, so that they line up with the `click` events.
  if (c.count >= cfg.rageClickCount) record('rage_click', { severity: 'warning', ts: c.lastTs, attrs: { target: c.target, count: c.count } });
  if (lastActivity < c.start && c.actionable) record('dead_click', { severity: 'warning', ts: c.startTs, attrs: { target: c.target, count: c.count } });
}

function clicks() {
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!(el && el.closest && el.closest('[data-sessiondx-id]'))) {
        lastActivity = perf();
        return;
      }
    }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  addEventListener('popstate', () => (lastActivity = perf()));
  addEventListener('hashchange', () => (lastActivity = perf()));
  addEventListener(
    'click',
    (e) => {
      const el = e.target && e.target.nodeType === 1 ? e.target : e.target && e.target.parentElement;
      if (!el) return;
      const target = selector(el);
      if (cfg.clicks) record('click', { attrs: { target } });
      const t = perf();
      if (chain && chain.target === target && t - chain.last <= cfg.rageClickGapMs) {
        chain.count++;
        chain.last = t;
        chain.lastTs = now();
      } else {
        closeChain();
        // Only elements that promise an action can be dead: a click on plain text is not.
        const actionable = !!el.closest('a[href],button,input[type=button],input[type=submit],[role=button],[onclick],label,select,summary');
        chain = { target, count: 1, start: t, last: t, startTs: now(), lastTs: now(), actionable };
      }
      clearTimeout(chain.timer);
      chain.timer = setTimeout(closeChain, Math.max(cfg.rageClickGapMs, chain.start + cfg.deadClickMs - t));
    },
    true,
  );
}

// ---- start ----

export function init(options = {}) {
  if (cfg) return api;
  cfg = Object.assign({}, DEFAULTS, options);
  ctx = detectContext();
  sessionId();
  wrapNetwork();
  errors();
  longTasks();
  vitals();
  const ready = () => {
    showId(sessionId());
    clicks();
  };
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', ready);
  else ready();
  if (document.readyState === 'complete') setTimeout(() => pageView(true));
  else addEventListener('load', () => setTimeout(() => pageView(true)));
  const leave = () => {
    lastActivity = perf();
    closeChain();
    pageView(false);
    sendTasks();
    sendVitals();
    flush(true);
  };
  addEventListener('pagehide', leave);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && leave());
  return api;
}

export const api = { init, sessionId, newSession, message, flush: () => flush(false) };
