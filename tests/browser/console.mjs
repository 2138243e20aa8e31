// Browser test of the admin web console (/admin/ui): a trade left at "paid" through the emulator, then
// the console as an admin (the order refunded, a notice written, previewed, published and read back in
// the emulator, the skill-call chart, a forged CSRF token refused) and as a viewer (nothing to change,
// and a change refused even with a valid token). Any page error, console error or request to another
// host fails it.
//
//   EMULATOR_URL=http://127.0.0.1:8080 ADMIN_USER=… ADMIN_PASSWORD=… VIEWER_USER=… VIEWER_PASSWORD=… \
//     node tests/browser/console.mjs
//
// EMULATOR_URL      the server's base URL (required; emulator on, JWT_SECRET set so the console is on)
// ADMIN_USER        an account with the admin role, and its password in ADMIN_PASSWORD
// VIEWER_USER       an account with the viewer role, and its password in VIEWER_PASSWORD
// SCREENSHOT_DIR    where the screenshots go (default docs/screenshots)
// CHROMIUM, HEADFUL as for emulator.mjs

import {
  BASE,
  RUN,
  WAIT_MS,
  Chat,
  addPane,
  assertClean,
  buy,
  fail,
  finish,
  inBrowser,
  join,
  log,
  openPage,
  register,
  shot,
} from './trade.mjs';

const ADMIN = { username: process.env.ADMIN_USER, password: process.env.ADMIN_PASSWORD, role: 'admin' };
const VIEWER = { username: process.env.VIEWER_USER, password: process.env.VIEWER_PASSWORD, role: 'viewer' };
const COOKIE = 'junggye_console';
const NAV = ['/admin/ui', '/admin/ui/members', '/admin/ui/products', '/admin/ui/orders', '/admin/ui/reports', '/admin/ui/notices',
  '/admin/ui/deals', '/admin/ui/skill-calls'];
/** What a viewer must not be offered on any page's main part (when shown and enabled). */
const CHANGES = [
  'button#refund', 'button#refund-confirm-button', 'button[data-set-status]', 'button#save',
  'a[href$="/notices/new"]', '[hx-post]:is(button, a, input)', '[hx-put]:is(button, a, input)',
  '[hx-patch]:is(button, a, input)', '[hx-delete]:is(button, a, input)', 'form[hx-post] button',
  'form[hx-post] [type=submit]', 'form[method=post i] button', 'form[method=post i] [type=submit]',
].map((s) => `#main ${s}`).join(', ');

// Two products, two paid orders: the admin refunds the first; the second stays paid for the viewer.
const REFUNDED = {
  name: `아이패드 에어 ${RUN}`,
  search: '아이패드',
  category: '디지털기기',
  price: '42만원',
  won: '420,000원',
  description: '배터리 효율 92%, 케이스 포함.',
  location: '신촌역 3번 출구',
};
const KEPT = {
  name: `전기 포트 ${RUN}`,
  search: '포트',
  category: '생활가전',
  price: '2만 3천원',
  won: '23,000원',
  description: '한 달 썼어요. 상자 있어요.',
  location: '잠실역 8번 출구',
};
const BUYER = `구매K${RUN}`;
const NOTICE = {
  title: `서버 점검 안내 ${RUN}`,
  body: `오늘 밤 2시부터 30분 동안 결제가 잠시 멈춰요. (${RUN})`,
};

/**
 * Every page of the context watched: page errors, console errors (but the 403s the test provokes on
 * purpose) and requests to any host but the server's (any port of it: the development stand-ins of Kakao
 * Pay and the Event API listen on their own). Outside the console (the emulator, the stand-in's checkout)
 * a missing favicon is no problem, as in emulator.mjs.
 */
function watch(context) {
  const server = new URL(BASE);
  const problems = [];
  const expected = new Set();
  const web = (url) => ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol);
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (web(url) && url.hostname !== server.hostname) problems.push(`request to another host: ${request.method()} ${url}`);
  });
  context.on('page', (page) => {
    page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const where = message.location().url || '';
      if (/status of 403/.test(message.text()) && expected.has(where.replace(server.origin, ''))) return;
      const inConsole = page.url().startsWith(`${server.origin}/admin/ui`);
      if (!inConsole && /favicon/.test(`${message.text()} ${where}`)) return;
      problems.push(`console error on ${page.url()}: ${message.text()} ${where}`);
    });
  });
  return {
    /** A 403 about to be provoked at `path`: Chromium's console line for it is no problem. */
    expect403: (path) => expected.add(path),
    check(label) {
      if (problems.length) fail(`${label}:\n${problems.join('\n')}`);
    },
  };
}

/** Where the console page is, what it flashed and shows: to explain a failure. */
async function state(page) {
  const about = await page
    .evaluate(() => ({
      flash: document.querySelector('#flash')?.outerHTML.slice(0, 300) || '(no #flash)',
      main: (document.querySelector('#main') || document.body)?.innerText.slice(0, 800) || '',
    }))
    .catch(() => ({ flash: '?', main: '?' }));
  return `--- ${page.url()} ---\n#flash: ${about.flash}\n${about.main}`;
}

/** Waits for `selector` to be visible, else fails saying `what` with the page's state. */
async function see(page, selector, what, timeout = WAIT_MS) {
  const found = page.locator(selector).first();
  try {
    await found.waitFor({ state: 'visible', timeout });
  } catch {
    fail(`${what}: no ${selector} within ${timeout / 1000} s\n${await state(page)}`);
  }
  return found;
}

async function notThere(page, selector, what) {
  const found = await page.locator(selector).evaluateAll((nodes) =>
    nodes.filter((n) => !n.disabled && n.getClientRects().length > 0).map((n) => n.outerHTML.slice(0, 200)),
  );
  if (found.length) fail(`${what}: found ${found.join('\n')}\n${await state(page)}`);
}

async function open(page, path) {
  const response = await page.goto(`${BASE}${path}`, { waitUntil: 'load' });
  if (!response || !response.ok()) {
    fail(`${path} answered ${response ? response.status() : 'nothing'}\n${await state(page)}`);
  }
}

async function waitForPath(page, pattern, what) {
  try {
    await page.waitForURL((url) => pattern.test(url.pathname), { timeout: WAIT_MS });
  } catch {
    fail(`${what}: still at ${page.url()}, not ${pattern}\n${await state(page)}`);
  }
  return pattern.exec(new URL(page.url()).pathname);
}

/** A change sent as htmx sends it, from the signed-in page: the answer's status. */
async function post(page, path, body, token) {
  return page.evaluate(
    async ({ path, body, token }) => {
      const response = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'HX-Request': 'true', 'X-CSRF-Token': token },
        body,
      });
      return response.status;
    },
    { path, body, token },
  );
}

/** a. A seller and a buyer of their own; two products registered and bought, both left at "paid". */
async function paidTrade(context) {
  const page = await openPage(context, 'conversation');
  const seller = new Chat(page, '판매자');
  const buyer = new Chat(page, '구매자');
  log('emulator: seller joins and registers two products');
  await join(seller, `판매K${RUN}`);
  for (const product of [REFUNDED, KEPT]) {
    await seller.hint('상품등록');
    await register(seller, product);
  }
  log('emulator: buyer joins and pays for both');
  await join(buyer, BUYER);
  await buy(buyer, REFUNDED);
  await buy(buyer, KEPT);
  log('emulator: buyer reports the seller from the order (신고)');
  await buyer.say('구매내역');
  await buyer.expect('구매 내역', KEPT.name);
  await buyer.row(KEPT.name);
  await buyer.quick('판매자 신고');
  await buyer.expect('신고할까요');
  await buyer.quick('사기 의심');
  await buyer.expect('신고(사기 의심)를 받았어요');
  return page;
}

/** The report queue: the buyer's report is there, and dismissing it closes it. */
async function reportQueue(page) {
  await open(page, '/admin/ui/reports');
  await see(page, 'table#reports', 'the reports page');
  const row = page.locator('table#reports tbody tr[data-status="open"]').filter({ hasText: BUYER });
  try {
    await row.first().waitFor({ timeout: WAIT_MS });
  } catch {
    fail(`no open report by ${BUYER} in table#reports\n${await state(page)}`);
  }
  const text = await row.first().innerText();
  if (!text.includes('사기 의심')) fail(`the report row does not say its reason: ${text}`);
  await shot(page, 'console-reports.png');
  const id = await row.first().getAttribute('data-report-id');
  await row.first().locator('button[data-decision="dismiss"]').click();
  await see(page, '#flash.ok', 'the dismissal');
  await notThere(page, `table#reports tr[data-report-id="${id}"]`, 'the open queue after the dismissal');
  log(`console: report ${id} seen in the queue and dismissed`);
}

/** b. Signs in at the login form and lands on the dashboard as `account`. */
async function signIn(page, account) {
  await open(page, '/admin/ui/login');
  const form = await see(page, 'form#login', 'the login page');
  await form.locator('input[name=username]').fill(account.username);
  await form.locator('input[name=password]').fill(account.password);
  await form.locator('button[type=submit]').click();
  await waitForPath(page, /^\/admin\/ui\/?$/, `${account.username} signing in`);
  await see(page, '#main', 'the dashboard');
  const shown = await page.evaluate(() => ({
    role: document.body.dataset.role,
    whoami: document.querySelector('#whoami')?.innerText || '',
    csrf: document.querySelectorAll('meta[name="csrf-token"]').length,
    hx: document.body.getAttribute('hx-headers') || '',
    nav: Array.from(document.querySelectorAll('nav a')).map((a) => new URL(a.href).pathname),
    logout: !!document.querySelector('button#logout'),
  }));
  const wrong = [];
  if (shown.role !== account.role) wrong.push(`body[data-role] is ${shown.role}, not ${account.role}`);
  if (!shown.whoami.includes(account.username) || !shown.whoami.includes(account.role)) {
    wrong.push(`#whoami says "${shown.whoami}", not the username and role`);
  }
  if (shown.csrf !== 1) wrong.push(`${shown.csrf} meta[name=csrf-token], not one`);
  if (!shown.hx.includes('X-CSRF-Token')) wrong.push(`body[hx-headers] is "${shown.hx}"`);
  if (!shown.logout) wrong.push('no button#logout');
  const nav = account.role === 'admin' ? [...NAV, '/admin/ui/accounts'] : NAV;
  const missing = nav.filter((href) => !shown.nav.includes(href));
  if (missing.length) wrong.push(`nav lacks ${missing.join(', ')}`);
  if (account.role !== 'admin' && shown.nav.includes('/admin/ui/accounts')) wrong.push('a viewer sees /admin/ui/accounts');
  if (wrong.length) fail(`signed in as ${account.username}:\n${wrong.join('\n')}\n${await state(page)}`);
  log(`console: signed in as ${account.username} (${account.role})`);
}

async function checkCookie(context) {
  const cookie = (await context.cookies(`${BASE}/admin/ui/`)).find((c) => c.name === COOKIE);
  if (!cookie) fail(`no ${COOKIE} cookie after signing in`);
  const wrong = [];
  if (!cookie.httpOnly) wrong.push('not HttpOnly');
  if (!cookie.secure) wrong.push('not Secure');
  if (cookie.sameSite !== 'Strict') wrong.push(`SameSite=${cookie.sameSite}`);
  if (wrong.length) fail(`the ${COOKIE} cookie is ${wrong.join(', ')}`);
}

/** The orders list's rows: id, status and text. Both of this run's orders, the first bought first. */
async function findOrders(page) {
  await open(page, '/admin/ui/orders');
  await see(page, 'table#orders', 'the orders page');
  const rows = await page.locator('table#orders tbody tr[data-order-id]').evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.dataset.orderId,
      status: tr.querySelector('td.status')?.dataset.status,
      text: tr.innerText,
      link: tr.querySelector('a.order-link')?.getAttribute('href'),
    })),
  );
  const pick = (product) => {
    const row = rows.find((r) => r.text.includes(product.name));
    if (!row) fail(`no row of table#orders names "${product.name}":\n${rows.map((r) => `  ${r.id}: ${r.text.replace(/\s+/g, ' ')}`).join('\n')}`);
    if (row.status !== 'paid') fail(`the order of "${product.name}" (${row.id}) is ${row.status}, not paid`);
    if (row.link !== `/admin/ui/orders/${row.id}`) fail(`the order ${row.id}'s a.order-link goes to ${row.link}`);
    return row.id;
  };
  return { refunded: pick(REFUNDED), kept: pick(KEPT) };
}

/** c. The first order refunded: detail, 환불, the confirmation step, confirmed. */
async function refund(page, orderId) {
  const link = page.locator(`table#orders tr[data-order-id="${orderId}"] a.order-link`);
  await link.click();
  await waitForPath(page, new RegExp(`^/admin/ui/orders/${orderId}$`), 'the order link');
  await see(page, '#order-status[data-status="paid"]', `order ${orderId} before the refund`);
  await (await see(page, 'button#refund', `order ${orderId}: the admin's refund button`)).click();
  const confirm = await see(page, '#refund-confirm', 'the refund confirmation step');
  await see(page, '#refund-confirm button#refund-confirm-button', 'the refund confirmation step');
  await see(page, '#refund-confirm a#refund-back', 'the refund confirmation step');
  const text = await confirm.innerText();
  const amount = REFUNDED.won.replace('원', '');
  if (!text.includes(amount) || !text.includes(BUYER)) {
    fail(`#refund-confirm does not name the amount ${amount} and the buyer ${BUYER}:\n${text}`);
  }
  await shot(page, 'console-order-refund.png');
  await page.locator('button#refund-confirm-button').click();
  await see(
    page,
    '#order-status[data-status="refunded"], #order-status[data-status="refund_pending"]',
    `order ${orderId} after confirming the refund`,
  );
  await see(page, '#flash.ok', `order ${orderId} after confirming the refund`);
  const status = await page.locator('#order-status').getAttribute('data-status');
  log(`console: order ${orderId} is ${status}`);
}

/**
 * Types into a field of the notice editor and leaves it, as a user does, then waits (up to 3 s) for the
 * preview to be redrawn: a mark put into #notice-preview is gone. (Leaving a field redraws the preview at
 * once; what is typed while that request is on its way is not previewed until the next keystroke, so the
 * test waits for it before the next field.)
 */
async function typeForPreview(page, field, text) {
  await page.evaluate(() => {
    const mark = document.createElement('i');
    mark.dataset.stale = '';
    document.querySelector('#notice-preview')?.append(mark);
  });
  await field.fill(text);
  await field.blur();
  await page
    .waitForFunction(() => !document.querySelector('#notice-preview [data-stale]'), null, { timeout: 3_000 })
    .catch(() => {});
}

/** d. A notice written with its live preview, saved (hidden), published; its id. */
async function writeNotice(page) {
  await open(page, '/admin/ui/notices/new');
  const form = await see(page, 'form#notice-form', 'the notice editor');
  const kind = form.locator('select[name=kind]');
  if ((await kind.inputValue()) !== 'text') {
    // The preview redraws on `change` too; typing during that request would not redraw it again.
    await kind.selectOption('text');
    await page.waitForTimeout(1_000);
  }
  await typeForPreview(page, form.locator('input[name=title]'), NOTICE.title);
  await typeForPreview(page, form.locator('textarea[name=body]'), NOTICE.body);
  try {
    await page.waitForFunction(
      ({ title, body }) => {
        const card = document.querySelector('#notice-preview .kakao-card');
        return (
          card?.querySelector('.card-title')?.textContent.includes(title) &&
          card.querySelector('.card-body')?.textContent.includes(body)
        );
      },
      NOTICE,
      { timeout: 5_000 },
    );
  } catch {
    const preview = await page.locator('#notice-preview').innerHTML().catch(() => '(no #notice-preview)');
    fail(`the live preview does not show the typed title and body:\n${preview.slice(0, 600)}`);
  }
  await shot(page, 'console-notice-editor.png');
  await page.locator('button#save').click();
  const [, id] = await waitForPath(page, /^\/admin\/ui\/notices\/(\d+)$/, 'saving the new notice');
  await see(page, '#flash.ok', `notice ${id} saved`);
  await see(page, '#notice-status[data-status="hidden"]', `notice ${id}: a new notice is hidden`);
  await page.locator('button[data-set-status="published"]').click();
  await see(page, '#notice-status[data-status="published"]', `notice ${id} after 게시`);
  await see(page, '#flash.ok', `notice ${id} after 게시`);
  log(`console: notice ${id} saved and published`);
  return id;
}

/** d. The published notice, read in the emulator by a new user. */
async function readNotice(emulatorPage) {
  await emulatorPage.bringToFront();
  const visitor = await addPane(emulatorPage, '방문자');
  await visitor.say('공지사항');
  await visitor.expect('공지사항', NOTICE.title);
  await visitor.row(NOTICE.title);
  await visitor.expect(NOTICE.title, NOTICE.body);
  log('emulator: the notice is in 공지사항');
}

async function noticeStatus(page, id, expected, what) {
  await open(page, `/admin/ui/notices/${id}`);
  await see(page, `#notice-status[data-status="${expected}"]`, what);
}

async function orderStatus(page, id, expected, what) {
  await open(page, `/admin/ui/orders/${id}`);
  await see(page, `#order-status[data-status="${expected}"]`, what);
}

async function consoleTest(context) {
  const watched = watch(context);
  const emulatorPage = await paidTrade(context);
  watched.check('the trade');

  const page = await context.newPage();
  await signIn(page, ADMIN);
  await checkCookie(context);
  await shot(page, 'console-dashboard.png');
  watched.check('signing in');

  const orders = await findOrders(page);
  await refund(page, orders.refunded);
  watched.check('the refund');

  await reportQueue(page);
  watched.check('the report queue');

  const noticeId = await writeNotice(page);
  await readNotice(emulatorPage);
  watched.check('the notice');

  await page.bringToFront();
  await open(page, '/admin/ui/skill-calls');
  await see(page, '#main svg.chart', 'the skill-call chart');
  await shot(page, 'console-skill-calls.png');
  watched.check('the skill calls');

  // The API's document, browsable from files in the binary (any outside request fails the test).
  await open(page, '/admin/docs/');
  await see(page, '.swagger-ui .info .title', 'Swagger UI at /admin/docs');
  await see(page, '.swagger-ui .opblock-tag-section', 'the documented operations');
  await shot(page, 'admin-docs.png');
  log('console: /admin/docs shows the API document');
  watched.check('the API document');

  const forged = `/admin/ui/notices/${noticeId}/status`;
  watched.expect403(forged);
  const status = await post(page, forged, 'status=hidden', 'forged-0123456789abcdef');
  if (status !== 403) fail(`a forged X-CSRF-Token on POST ${forged} answered ${status}, not 403`);
  await noticeStatus(page, noticeId, 'published', 'the notice after the forged change');
  log('console: a forged CSRF token is refused (403), nothing changed');
  watched.check('the forged CSRF token');

  await (await see(page, 'button#logout', 'signing out')).click();
  await waitForPath(page, /^\/admin\/ui\/login$/, 'signing out');
  await open(page, '/admin/ui');
  await waitForPath(page, /^\/admin\/ui\/login$/, 'the dashboard after signing out');
  log('console: signed out');

  await signIn(page, VIEWER);
  await orderStatus(page, orders.kept, 'paid', "the viewer's order page");
  await notThere(page, CHANGES, `the viewer's order ${orders.kept}`);
  await open(page, '/admin/ui/notices');
  await see(page, `table#notices tr[data-notice-id="${noticeId}"]`, "the viewer's notices list");
  await notThere(page, CHANGES, "the viewer's notices list");
  await noticeStatus(page, noticeId, 'published', "the viewer's notice page");
  await notThere(page, CHANGES, `the viewer's notice ${noticeId}`);
  const token = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  if (!token) fail(`no meta[name=csrf-token] content for the viewer\n${await state(page)}`);
  const refundPath = `/admin/ui/orders/${orders.kept}/refund`;
  watched.expect403(refundPath);
  const viewerRefund = await post(page, refundPath, '', token);
  if (viewerRefund !== 403) fail(`the viewer's POST ${refundPath} (valid CSRF token) answered ${viewerRefund}, not 403`);
  await orderStatus(page, orders.kept, 'paid', "the order after the viewer's refund");
  log("console: the viewer has nothing to change and a viewer's change is refused (403)");
  watched.check('the viewer');

  await assertClean(emulatorPage, 'emulator');
}

finish(
  inBrowser('console', async (context) => {
    for (const [name, value] of Object.entries({ ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password,
      VIEWER_USER: VIEWER.username, VIEWER_PASSWORD: VIEWER.password })) {
      if (!value) fail(`${name} is not set`);
    }
    await consoleTest(context);
  }),
  'a paid order refunded, a report dismissed, a notice published and read, CSRF and roles held, in the admin console',
);
