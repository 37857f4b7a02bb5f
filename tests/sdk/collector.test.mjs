// Unit checks of the collector's pure parts: client-side scrubbing (the receiver's classes,
// docs/events.md "Privacy") and the session-id alphabet.
import { scrub } from '../../sdk/browser/src/scrub.js';
import { DEFAULT_ALPHABET } from '../../sdk/browser/src/collector.js';

let passed = 0;
let failed = 0;
const ok = (cond, what, detail) => {
  cond ? passed++ : failed++;
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${cond ? '' : ' -> ' + JSON.stringify(detail)}`);
};

const scrubbed = [
  ['login failed for jane.doe+shop@example.co.uk', 'login failed for [email]'],
  ['client 192.168.1.23 connected', 'client [ip] connected'],
  ['from=10.0.0.1:8080', 'from=[ip]:8080'],
  ['peer 2001:db8::8a2e:370:7334 reset', 'peer [ip] reset'],
  ['listening on ::1', 'listening on [ip]'],
  ['card 4111 1111 1111 1111 declined', 'card [card] declined'],
  ['4111-1111-1111-1111', '[card]'],
  ['378282246310005', '[card]'],
  ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'Authorization: Bearer [secret]'],
  ['/reset?token=abc123&step=2', '/reset?token=[secret]&step=2'],
  ['POST /login password=hunter2 remember=1', 'POST /login password=[secret] remember=1'],
  ['https://api.example/v1?API_KEY=xyz#top', 'https://api.example/v1?API_KEY=[secret]#top'],
];
for (const [input, want] of scrubbed) ok(scrub(input) === want, `scrub: ${input}`, scrub(input));

const kept = [
  '2024-05-01T10:02:33.123Z', '10:02:33', '1714557753123', 'took 1234 ms', 'HTTP 503', '/api/orders/123',
  'release 1.2.3', '550e8400-e29b-41d4-a716-446655440000', '4111111111111112', 'std::vector', 'a::b',
  'dead::beef', '00:1a:2b:3c:4d:5e', 'the bearer of bad news', '?monkey=banana', '?api-key=x',
  "TypeError: Cannot read properties of undefined (reading 'brand')",
];
for (const text of kept) ok(scrub(text) === text, `kept: ${text}`, scrub(text));

ok(!/[0Oo1lIi]/.test(DEFAULT_ALPHABET), 'the id alphabet has no 0, O, o, 1, l, I, i');
ok(new Set(DEFAULT_ALPHABET).size === DEFAULT_ALPHABET.length && /^[A-Za-z0-9]+$/.test(DEFAULT_ALPHABET),
  'the id alphabet has distinct characters of the receiver pattern');

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
