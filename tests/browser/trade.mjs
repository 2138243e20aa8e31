// The trade steps the browser tests share: the development KakaoTalk emulator (/dev/chat) opened in
// Chromium, its chat panes (one KakaoTalk user each), and what a seller and a buyer do in them — join,
// register a product, buy it (paid in the Kakao Pay stand-in's popup), ship, confirm. Used by
// emulator.mjs (a whole trade) and console.mjs (a trade left at "paid" for the admin console).
//
// EMULATOR_URL   the server's base URL (required; the server must run with the emulator on)
// SCREENSHOT_DIR where the screenshots go (default docs/screenshots)
// CHROMIUM       the browser (default /usr/bin/chromium); Playwright's own browsers are never downloaded
// HEADFUL=1      show the browser window

import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { chromium } from 'playwright-core';

const started = Date.now();
export const BASE = (process.env.EMULATOR_URL || '').replace(/\/+$/, '');
const SHOTS = process.env.SCREENSHOT_DIR || 'docs/screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT_MS = 20_000;
const NOTICE_WAIT_MS = 45_000;
const OPEN_CHAT = 'https://open.kakao.com/o/gAbCdEf1';
const TRACKING = '123456789012';

class Failure extends Error {}

export function fail(message) {
  throw new Failure(message);
}

export function log(message) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${s}s] ${message}`);
}

/** Four characters that make this run's names and products its own, even on a used database. */
export const RUN = Math.random().toString(36).slice(2, 6).toUpperCase();
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
const phone = () => `010-${digits(4)}-${digits(4)}`;

function exact(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** One chat pane of the page: what its user does, and what the bot last answered. */
export class Chat {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.root = page.locator(`section.pane[data-pane="${name}"]`);
  }

  async idle(timeout = WAIT_MS) {
    try {
      await this.page.waitForFunction((n) => window.emulator && window.emulator.idle(n), this.name, {
        timeout,
        polling: 50,
      });
    } catch {
      fail(`${this.name}: the pane is still busy after ${timeout / 1000} s`);
    }
  }

  async say(text) {
    await this.root.locator('.composer textarea').fill(text);
    await this.root.locator('.composer .send').click();
    await this.idle();
  }

  async hint(word) {
    await this.root.locator('.hints .hint').filter({ hasText: exact(word) }).click();
    await this.idle();
  }

  /** Taps a quick reply of the latest answer. */
  async quick(label) {
    const chip = this.root.locator('.quick-replies .qr').filter({ hasText: exact(label) }).last();
    if ((await chip.count()) === 0) {
      const shown = await this.root.locator('.quick-replies .qr').allTextContents();
      fail(`${this.name}: no quick reply "${label}" (shown: ${JSON.stringify(shown)})\n${await this.transcript()}`);
    }
    await chip.click();
    await this.idle();
  }

  /** Taps a card button, in the last card that has it (optionally a card containing `within`). */
  async button(label, within) {
    let cards = this.root.locator('.card');
    if (within) cards = cards.filter({ hasText: within });
    const button = cards.locator('.card-btn').filter({ hasText: exact(label) }).last();
    if ((await button.count()) === 0) {
      fail(`${this.name}: no button "${label}"${within ? ` on a card with "${within}"` : ''}\n${await this.transcript()}`);
    }
    await button.click();
    return button;
  }

  /** Taps a list-card row. */
  async row(title) {
    const row = this.root.locator('.list-item').filter({ hasText: title }).last();
    if ((await row.count()) === 0) fail(`${this.name}: no list row "${title}"\n${await this.transcript()}`);
    await row.click();
    await this.idle();
  }

  async samplePhoto() {
    const sample = this.root.locator('.photo-request .photo-sample').last();
    if ((await sample.count()) === 0) fail(`${this.name}: no photo picker\n${await this.transcript()}`);
    await sample.click();
    await this.idle(40_000);
  }

  /** The text of the bot's latest message. */
  async last() {
    return this.root.evaluate((root) => {
      const all = root.querySelectorAll('.msg.bot:not(.debug-only)');
      const msg = all[all.length - 1];
      if (!msg) return '';
      const parts = [];
      for (const child of msg.querySelector('.stack').children) {
        if (child.matches('.debug, .verdict-badge')) continue;
        const outputs = child.matches('.row-time') ? Array.from(child.children) : [child];
        for (const output of outputs) if (!output.matches('.time')) parts.push(output.innerText);
      }
      return parts.join('\n');
    });
  }

  async expect(...words) {
    const text = await this.last();
    for (const word of words) {
      if (!text.includes(word)) {
        fail(`${this.name}: expected "${word}" in the bot's last answer:\n${text}\n${await this.transcript()}`);
      }
    }
    return text;
  }

  async botCount() {
    return this.root.locator('.msg.bot:not(.debug-only)').count();
  }

  /** Waits for a notice (Event API stand-in → event skill) whose text has `words`. */
  async notice(words) {
    const notice = this.root.locator('.msg.bot.notice').filter({ hasText: words }).last();
    try {
      await notice.waitFor({ timeout: NOTICE_WAIT_MS });
    } catch {
      fail(`${this.name}: no notice with "${words}" within ${NOTICE_WAIT_MS / 1000} s\n${await this.transcript()}`);
    }
    await this.idle();
    return notice;
  }

  async setJson(on) {
    const toggle = this.root.locator('.json-toggle');
    if (((await toggle.getAttribute('aria-pressed')) === 'true') !== on) await toggle.click();
  }

  /** The pane's last messages, to explain a failure. */
  async transcript(count = 8) {
    const lines = await this.root.evaluate((root, n) => {
      const msgs = Array.from(root.querySelectorAll('.msg:not(.debug-only), .sys, .quick-replies')).slice(-n);
      return msgs.map((m) => {
        const who = m.classList.contains('user') ? 'user' : m.classList.contains('bot') ? 'bot ' : '    ';
        const clone = m.cloneNode(true);
        for (const d of clone.querySelectorAll('.debug, .time, .avatar, .bot-name')) d.remove();
        return `  ${who}| ${clone.innerText.replace(/\s*\n\s*/g, ' ⏎ ').slice(0, 300)}`;
      });
    }, count);
    return `--- ${this.name}, last messages ---\n${lines.join('\n')}`;
  }
}

export async function shot(page, file) {
  const path = joinPath(SHOTS, file);
  await page.screenshot({ path });
  log(`screenshot ${path}`);
}

/** Joins: 회원가입, the name, a wrong phone number (asked again), then the right one. */
export async function join(chat, name, { wrongPhone = false, started = false, shotAfterWrong = null } = {}) {
  if (!started) {
    await chat.say('회원가입');
    await chat.expect('가입할 이름');
  }
  await chat.say(name);
  await chat.expect('휴대폰 번호');
  if (wrongPhone) {
    const before = await chat.botCount();
    await chat.say('123');
    const again = await chat.expect('휴대폰 번호');
    if ((await chat.botCount()) <= before) fail(`${chat.name}: a wrong phone number got no answer`);
    if (again.trim().split('\n').filter((l) => l.trim()).length < 2) {
      fail(`${chat.name}: the phone number is asked again without the reason:\n${again}`);
    }
    if (shotAfterWrong) await shot(chat.page, shotAfterWrong);
  }
  await chat.say(phone());
  await chat.expect('환영');
}

/** Registers a product from the category picker on: questions, a sample photo, the preview, 등록하기. */
export async function register(chat, product, { picker = true } = {}) {
  if (picker) {
    await chat.expect('카테고리');
    await chat.row(product.category);
  }
  await chat.expect('상품명');
  await chat.say(product.name);
  await chat.expect('가격');
  await chat.say(product.price);
  await chat.expect('설명');
  await chat.say(product.description);
  await chat.expect('거래 장소');
  await chat.say(product.location);
  await chat.expect('오픈채팅');
  await chat.say(OPEN_CHAT);
  // Conversation mode offers the 사진 등록 block with a quick reply; block mode asks for the photos itself.
  if ((await chat.root.locator('.quick-replies .qr').filter({ hasText: exact('사진 등록') }).count()) > 0) {
    await chat.quick('사진 등록');
  }
  await chat.samplePhoto();
  await chat.expect(product.name, product.won);
  // Without the picker no category comes: the preview files it under 기타 and says so.
  if (!picker) await chat.expect('기타 (다시 입력에서 변경)');
  await chat.quick('등록하기');
  await chat.expect('등록했어요');
}

/** Finds the product, opens it, pays in the Kakao Pay stand-in's popup. */
export async function buy(chat, product, { searchShot, payShot } = {}) {
  await chat.say('상품검색');
  await chat.expect('어떤 상품을 찾을까요');
  await chat.say(product.search);
  await chat.expect(product.name);
  if ((await chat.root.locator('.carousel .commerce-card').count()) === 0) {
    fail(`${chat.name}: the search answer has no commerce card\n${await chat.transcript()}`);
  }
  if (searchShot) await shot(chat.page, searchShot);
  await chat.button('상세보기', product.name);
  await chat.idle();
  await chat.expect(product.name, '상품 설명');
  const [popup] = await Promise.all([
    chat.page.waitForEvent('popup', { timeout: WAIT_MS }),
    chat.button('카카오페이로 구매'),
  ]);
  await popup.waitForLoadState('domcontentloaded');
  try {
    await popup.locator('#standin-approve').waitFor({ timeout: WAIT_MS });
  } catch {
    fail(`the pay popup shows no #standin-approve: ${popup.url()}\n${(await popup.textContent('body')) || ''}`);
  }
  if (payShot) await shot(popup, payShot);
  await Promise.all([popup.waitForNavigation({ timeout: WAIT_MS }), popup.locator('#standin-approve').click()]);
  await popup.waitForLoadState('domcontentloaded');
  const result = (await popup.textContent('body')) || '';
  if (!result.includes('결제가 완료되었어요')) fail(`the pay popup did not end paid: ${popup.url()}\n${result}`);
  log(`${chat.name} paid (${popup.url().replace(/\?.*/, '')})`);
  await popup.close();
}

/** Seller: the paid order from 판매내역, its tracking number through the order's button. */
export async function ship(chat, product) {
  await chat.say('판매내역');
  await chat.expect('판매 내역', product.name);
  await chat.row(product.name);
  await chat.expect(product.name);
  await chat.quick('운송장 입력');
  await chat.expect('운송장 번호');
  await chat.say(TRACKING);
  await chat.expect('저장했어요');
}

/** Buyer: the order from 구매내역, 구매확정 and its confirmation. */
export async function confirmPurchase(chat, product) {
  await chat.say('구매내역');
  await chat.expect('구매 내역', product.name);
  await chat.row(product.name);
  await chat.quick('구매확정');
  await chat.expect('정말 구매확정하시겠어요');
  await chat.quick('구매확정');
  await chat.expect('구매확정했어요');
}

/** Seller: 판매확정 from the notice that the buyer confirmed, and its confirmation. */
export async function confirmSale(chat) {
  await chat.notice('구매를 확정했어요');
  await chat.quick('판매확정');
  await chat.expect('정말 판매확정하시겠어요');
  await chat.quick('판매확정');
  await chat.expect('판매확정했어요');
}

export async function openPage(context, mode) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.problems = problems;
  const url = `${BASE}/dev/chat?fresh=1&mode=${mode}`;
  try {
    const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
    if (!response || !response.ok()) {
      fail(`${url} answered ${response ? response.status() : 'nothing'}: is the emulator on (DEV_EMULATOR)?`);
    }
  } catch (error) {
    if (error instanceof Failure) throw error;
    fail(`cannot open ${url}: ${String(error.message).split('\n')[0]}`);
  }
  try {
    await page.waitForFunction(() => window.emulator && window.emulator.ready, null, { timeout: WAIT_MS });
  } catch {
    fail(`the page did not load the catalogue: ${(await page.textContent('#catalogue-status')) || ''}`);
  }
  const modes = await page.evaluate(() => window.emulator.panes.map((p) => p.mode));
  if (modes.some((m) => m !== mode)) fail(`panes are in ${modes.join(', ')}, not ${mode}`);
  return page;
}

/** Nothing red anywhere: no checker violation, no error bubble, no page error. */
export async function assertClean(page, label) {
  const state = await page.evaluate(() => ({
    violations: window.emulator.violations,
    errors: window.emulator.errors,
    red: Array.from(document.querySelectorAll('.error-bubble, .msg.violation')).map((n) =>
      n.innerText.slice(0, 200),
    ),
    calls: window.emulator.calls,
  }));
  const found = [];
  if (state.violations.length) found.push(`violations: ${JSON.stringify(state.violations, null, 2)}`);
  if (state.errors.length) found.push(`errors: ${JSON.stringify(state.errors, null, 2)}`);
  if (state.red.length) found.push(`red messages: ${JSON.stringify(state.red, null, 2)}`);
  const pageProblems = page.problems.filter((p) => !/favicon/.test(p));
  if (pageProblems.length) found.push(pageProblems.join('\n'));
  if (found.length) fail(`${label}: ${found.join('\n')}`);
  log(`${label}: ${state.calls} skill calls, no violation, no error`);
}

/** Another chat pane (a KakaoTalk user of its own, in the page's mode). */
export async function addPane(page, name) {
  await page.evaluate((n) => window.emulator.addPane(n), name);
  const chat = new Chat(page, name);
  await chat.root.waitFor({ timeout: WAIT_MS });
  return chat;
}

/** Chromium (headless unless HEADFUL=1) and a Korean-speaking browser context; the screenshot dir made. */
export async function launch() {
  if (!BASE) fail('EMULATOR_URL is not set (e.g. EMULATOR_URL=http://127.0.0.1:8080)');
  await mkdir(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: process.env.HEADFUL !== '1',
    args: [
      ...(process.env.HEADFUL === '1' ? [] : ['--headless=new']),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
  });
  return { browser, context };
}

/** Runs `body` in a fresh browser; on failure every open page is saved as `<prefix>-failure-N.png`. */
export async function inBrowser(prefix, body) {
  const { browser, context } = await launch();
  try {
    await body(context);
  } catch (error) {
    for (const page of context.pages()) {
      const path = joinPath(tmpdir(), `${prefix}-failure-${context.pages().indexOf(page)}.png`);
      await page.screenshot({ path }).catch(() => {});
      console.error(`failure screenshot: ${path}`);
    }
    throw error;
  } finally {
    await browser.close();
  }
}

/** The test's outcome: `passed` logged, or the failure printed and exit code 1. */
export function finish(promise, passed) {
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  return promise.then(
    () => log(`passed: ${passed} (${seconds()} s)`),
    (error) => {
      console.error(`\nFAILED (${seconds()} s): ${error instanceof Failure ? error.message : error.stack || error}`);
      process.exitCode = 1;
    },
  );
}
