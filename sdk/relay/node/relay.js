// sessiondx relay for Express: receives the browser collector's batches on the site's own
// backend, adds server-side context (never the client's IP address), signs with Standard
// Webhooks and forwards them to sessiondx. The webhook secret never reaches the browser.
//
//   const { sessiondxRelay } = require('./relay');
//   const relay = sessiondxRelay({ url: 'http://sessiondx.internal:8080', secret: process.env.SESSIONDX_WEBHOOK_SECRET });
//   app.post('/sessiondx/events', relay.middleware);
//   // the backend's own events, e.g. in an error handler:
//   relay.backendError(req, { service: 'payments', message: err.message, trace_id: traceId });
'use strict';
const crypto = require('node:crypto');
const express = require('express');
const { Webhook } = require('standardwebhooks');

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

function sessiondxRelay(options) {
  const opts = Object.assign(
    { url: 'http://127.0.0.1:8080', cookieName: 'sdx_sid', maxEvents: 500, maxBytes: 1 << 20, context: {}, timeoutMs: 10000 },
    options,
  );
  if (!opts.secret) throw new Error('sessiondxRelay: secret (whsec_...) is required');
  const webhook = new Webhook(opts.secret);
  const endpoint = opts.url.replace(/\/+$/, '') + '/v1/events';

  // Forwards events; resolves to sessiondx's HTTP status and JSON answer.
  async function forward(events) {
    const body = JSON.stringify(events);
    // Same events, same webhook-id: a retried batch is recognisably the same message.
    const msgId = 'msg_' + crypto.createHash('sha256').update(events.map((e) => e.id).join(',')).digest('hex').slice(0, 32);
    const signature = webhook.sign(msgId, new Date(), body);
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': msgId,
        'webhook-timestamp': String(ts),
        'webhook-signature': signature,
      },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    let answer = null;
    try {
      answer = await res.json();
    } catch (_) {
      /* not JSON */
    }
    return { status: res.status, answer, retryAfter: res.headers.get('retry-after') };
  }

  // What only the server knows. Never the client IP (it is personal data and not needed).
  function serverContext(e) {
    e.context = Object.assign({}, e.context, opts.context);
    return e;
  }

  function sessionOf(req) {
    const m = String(req.headers.cookie || '').match(new RegExp('(?:^|;\\s*)' + opts.cookieName + '=([^;]*)'));
    const id = m ? decodeURIComponent(m[1]) : '';
    return SESSION_ID.test(id) ? id : '';
  }

  const parse = express.json({ limit: opts.maxBytes, type: ['application/json', 'text/plain'] });
  function middleware(req, res) {
    parse(req, res, async (err) => {
      const events = req.body;
      if (err || !Array.isArray(events) || events.length === 0 || events.length > opts.maxEvents) {
        return res.status(400).json({ error: 'expected a JSON array of 1-' + opts.maxEvents + ' events' });
      }
      const good = events.filter((e) => e && typeof e === 'object' && SESSION_ID.test(String(e.session_id)));
      if (!good.length) return res.status(400).json({ error: 'no event with a valid session_id' });
      try {
        const r = await forward(good.map(serverContext));
        if (opts.onForward) opts.onForward(good, r);
        if (r.status === 429 || r.status >= 500) {
          if (r.retryAfter) res.set('retry-after', r.retryAfter);
          return res.status(503).json({ error: 'sessiondx unavailable', status: r.status });
        }
        // 4xx from sessiondx (bad secret, bad batch) is not the browser's to retry.
        return res.status(r.status === 200 ? 200 : 502).json(r.answer || {});
      } catch (e) {
        if (opts.onError) opts.onError(e);
        return res.status(503).json({ error: 'sessiondx unreachable' });
      }
    });
  }

  // The backend's own events for the customer's session (from the collector's cookie).
  function event(req, type, fields) {
    const sid = typeof req === 'string' ? req : sessionOf(req);
    if (!sid) return Promise.resolve(null);
    const e = Object.assign({ id: 'srv_' + crypto.randomUUID(), session_id: sid, ts: Date.now(), type }, fields);
    return forward([serverContext(e)]);
  }
  const backendError = (req, attrs) =>
    event(req, 'backend_error', { severity: attrs.severity || 'error', message: attrs.message, attrs: { service: attrs.service, trace_id: attrs.trace_id } });

  return { middleware, forward, event, backendError, sessionOf };
}

module.exports = { sessiondxRelay };
