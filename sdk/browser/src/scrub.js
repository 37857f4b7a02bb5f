// Client-side scrubbing: the same classes as the receiver (docs/events.md, "Privacy"), applied
// to every text the collector sends (messages, error texts and stacks, URLs). The receiver
// scrubs again; this only keeps personal data from leaving the browser at all. No lookbehind
// (older Safari cannot parse it): a captured prefix stands in for it.

const EMAIL = /[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/g;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(^|[^A-Za-z0-9_.])(${OCTET}(?:\\.${OCTET}){3})(?![A-Za-z0-9_]|\\.\\d)`, 'g');
const H = '[0-9A-Fa-f]{1,4}';
const IPV6 = new RegExp(
  `(^|[^A-Za-z0-9_.:])((?:${H}:){7}${H}|(?:${H}:){0,6}(?:${H})?::(?:${H}:){0,6}(?:${OCTET}(?:\\.${OCTET}){3}|${H})?)(?![A-Za-z0-9_.])`,
  'g');
const CARD = /(^|[^A-Za-z0-9_.])([2-6]\d{0,5}(?:[ -]?\d{1,6}){2,18})(?![A-Za-z0-9_]|\.\d)/g;
const BEARER = /\b(Bearer)[ \t]+([A-Za-z0-9\-._~+/=]{8,})/gi;
const SECRET =
  /(^|[?&;\s])(password|passwd|pwd|token|access_token|refresh_token|api_key|apikey|key|secret|client_secret)=[^&#\s"']*/gi;

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = +digits[digits.length - 1 - i];
    if (i % 2) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export function scrub(text) {
  if (typeof text !== 'string' || !text) return text;
  return text
    .replace(EMAIL, '[email]')
    .replace(IPV6, (m, pre, ip) => (/\d/.test(ip) && ip.indexOf('::') !== ip.length - 2 ? pre + '[ip]' : m))
    .replace(IPV4, '$1[ip]')
    .replace(CARD, (m, pre, num) => {
      const digits = num.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? pre + '[card]' : m;
    })
    .replace(BEARER, (m, word, tok) => (/\d/.test(tok) ? word + ' [secret]' : m))
    .replace(SECRET, '$1$2=[secret]');
}
