// Signs in at the test provider as a browser would: starts at nhir's
// /api/v1/oidc/login, follows the provider's development login and
// consent forms as USER, and stops at the redirect back to nhir.
// Prints "authorize URL" (where nhir sent it), "cookie NAME=VALUE"
// (nhir's login cookie) and "callback URL".
// --nonce N replaces the nonce nhir asked for (a token it must refuse).
//   node oidc-login.mjs NHIR-URL USER [--nonce N]
const [base, user, opt, optval] = process.argv.slice(2);
const jar = new Map();
let nhirCookie = '';

function keep(res) {
  for (const c of res.headers.getSetCookie()) {
    const [kv] = c.split(';');
    const i = kv.indexOf('=');
    jar.set(kv.slice(0, i), kv.slice(i + 1));
  }
}
const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

async function go(url, init = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init,
    headers: { cookie: cookies(), ...(init.headers || {}) } });
  keep(res);
  return res;
}

const start = await fetch(`${base}/api/v1/oidc/login`, { redirect: 'manual' });
if (start.status !== 302) {
  console.error(`nhir answered ${start.status}: ${await start.text()}`);
  process.exit(1);
}
for (const c of start.headers.getSetCookie())
  if (c.startsWith('nhir_oidc=')) nhirCookie = c.split(';')[0];
let url = new URL(start.headers.get('location'));
console.log(`authorize ${url.href}`);
if (opt === '--nonce') url.searchParams.set('nonce', optval);
url = url.href;

for (let hops = 0; hops < 20; hops++) {
  if (url.startsWith(base)) {
    console.log(`cookie ${nhirCookie}`);
    console.log(`callback ${url}`);
    process.exit(0);
  }
  const res = await go(url);
  if (res.status >= 300 && res.status < 400) {
    url = new URL(res.headers.get('location'), url).href;
    continue;
  }
  const page = await res.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(page);
  if (!action) {
    console.error(`no form at ${url}: ${res.status} ${page.slice(0, 400)}`);
    process.exit(1);
  }
  const form = new URLSearchParams();
  if (/name="login"/.test(page)) {
    form.set('login', user);
    form.set('password', 'any');
  }
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    form.set(m[1], m[2]);
  const post = await go(new URL(action[1], url).href, { method: 'POST',
    body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  if (post.status < 300 || post.status >= 400) {
    console.error(`form at ${url} answered ${post.status}: ${(await post.text()).slice(0, 400)}`);
    process.exit(1);
  }
  url = new URL(post.headers.get('location'), url).href;
}
console.error('too many redirects');
process.exit(1);
