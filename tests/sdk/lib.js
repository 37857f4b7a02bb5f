// Helpers shared by the sdk tests: a free port, the real sessiondx receiver, diagnose.
'use strict';
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SKIP = 77; // CTest SKIP_RETURN_CODE

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Starts `sessiondx serve` and resolves once /healthz answers 200.
async function startSessiondx(bin, { db, secret }) {
  const port = await freePort();
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--db', db], {
    env: Object.assign({}, process.env, { SESSIONDX_WEBHOOK_SECRET: secret, SESSIONDX_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 50, null))]);
    if (early) throw new Error(`sessiondx exited during start-up: ${JSON.stringify(early)}`);
    try {
      const r = await fetch(url + '/healthz');
      if (r.status === 200) break;
    } catch (_) {
      /* not listening yet */
    }
    if (i > 400) throw new Error('sessiondx did not become healthy');
  }
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

function diagnose(bin, db, id) {
  return new Promise((resolve, reject) => {
    execFile(bin, ['diagnose', id, '--db', db, '--format', 'json', '--view', 'full'], { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err && err.code !== 0 && err.code !== 3) return reject(new Error(`diagnose failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout));
    });
  });
}

const secret = () => 'whsec_' + require('node:crypto').randomBytes(32).toString('base64');

// Small assertion bookkeeping so the test prints one line per check and a closing count.
function checks() {
  let passed = 0;
  let failed = 0;
  return {
    ok(cond, what, detail) {
      if (cond) passed++;
      else failed++;
      console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${!cond && detail !== undefined ? '\n     ' + JSON.stringify(detail).slice(0, 2000) : ''}`);
    },
    done() {
      console.log(`${passed} passed, ${failed} failed`);
      return failed ? 1 : 0;
    },
  };
}

module.exports = { SKIP, freePort, tempDir, startSessiondx, diagnose, secret, checks };
