// The Node relay (Express middleware + standardwebhooks) against the real receiver: signature
// accepted, a wrong secret refused (401, answered to the browser as 502), a resent batch counted
// as duplicates, the backend's own backend_error accepted, the client IP never forwarded.
//   node tests/sdk/relay_node.test.js <sessiondx binary>
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { freePort, tempDir, startSessiondx, diagnose, secret, checks } = require('./lib');
const { createApp } = require('../../sdk/relay/node/example-server.js');
const { sessiondxRelay } = require('../../sdk/relay/node/relay.js');

const bin = process.argv[2] || path.resolve(__dirname, '../../build/app/sessiondx');

async function listen(app) {
  const port = await freePort();
  return new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${port}` }));
  });
}

async function main() {
  const t = checks();
  const dir = tempDir('sessiondx-relay-node-');
  const db = path.join(dir, 'events.db');
  const key = secret();
  const sdx = await startSessiondx(bin, { db, secret: key });
  const sid = 'relayNodeTest7Kp9';
  const batch = (tag, n) =>
    Array.from({ length: n }, (_, i) => ({
      id: `e${tag}${i}`, session_id: sid, ts: Date.now() + i, type: 'page_view', page: '/' + tag,
      attrs: { ttfb_ms: 90 }, context: { browser: 'Chrome 156', app_version: '4.12.0' },
    }));
  const sent = [];
  const good = await listen(createApp({ site: dir, sessiondxUrl: sdx.url, secret: key, onForward: (ev) => sent.push(...ev) }).app);
  const bad = await listen(createApp({ site: dir, sessiondxUrl: sdx.url, secret: secret() }).app);
  try {
    const post = (url, body) =>
      fetch(url + '/sessiondx/events', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body })
        .then(async (r) => ({ status: r.status, body: await r.json() }));
    const body = JSON.stringify(batch('node', 3));
    let r = await post(good.url, body);
    t.ok(r.status === 200 && r.body.accepted === 3, 'node: the browser batch is signed and accepted', r);
    r = await post(good.url, body);
    t.ok(r.status === 200 && r.body.duplicates === 3, 'node: a resent batch is 3 duplicates', r);
    t.ok(!JSON.stringify(sent).includes('203.0.113.9'), 'node: the client IP is not forwarded');
    r = await post(bad.url, JSON.stringify(batch('wrong', 1)));
    t.ok(r.status === 502, 'node: with a wrong secret the relay answers 502', r);
    const direct = await sessiondxRelay({ url: sdx.url, secret: secret() }).forward(batch('direct', 1));
    t.ok(direct.status === 401, 'node: sessiondx refuses a wrong secret with 401', direct);
    r = await post(good.url, '{"no":"array"}');
    t.ok(r.status === 400, 'node: a body that is not a batch is refused with 400', r);
    const relay = sessiondxRelay({ url: sdx.url, secret: key, context: { region: 'eu-west' } });
    const be = await relay.backendError({ headers: { cookie: `other=1; sdx_sid=${sid}` } }, { service: 'payments', message: 'card processor timeout', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    t.ok(be && be.status === 200 && be.answer.accepted === 1, 'node: backend_error from the session cookie accepted', be);
  } finally {
    good.server.close();
    bad.server.close();
    await sdx.stop();
  }
  const d = await diagnose(bin, db, sid);
  t.ok(d.findings.some((f) => f.rule === 'backend.error'), 'node: the diagnosis names the backend error', d.findings);
  t.ok(d.context.region === 'eu-west', "node: the relay's server-side context arrived", d.context);
  fs.rmSync(dir, { recursive: true, force: true });
  return t.done();
}

main().then((c) => process.exit(c), (e) => (console.error(e), process.exit(1)));
