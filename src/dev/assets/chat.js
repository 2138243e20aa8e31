// 중계나라 emulator: a KakaoTalk-like chat with the bot, for development only.
//
// Each pane is one KakaoTalk user (its own botUserKey, kept in localStorage). What a user says goes to
// the server's skills through POST /dev/chat/skill, shaped like Open Builder's skill payload, and the
// answer is drawn the way KakaoTalk draws it. Two ways to route an utterance:
//   - 대화 모드 (conversation): everything goes to the fallback block's skill (/skill/chat), except the
//     사진 등록 block's utterances (secure-image plugin) and `block` buttons whose block id is known.
//   - 블록 모드 (blocks): the utterance is matched against every block's utterances; the matched block's
//     required parameters are asked (with their validation skills) before its skill runs.
// Server data is only ever written with textContent: nothing from an answer becomes markup.
'use strict';

(() => {
  const API = {
    catalogue: '/dev/chat/catalogue',
    skill: '/dev/chat/skill',
    photos: '/dev/chat/photos',
    notices: '/dev/chat/notices',
  };
  const MENU = ['처음으로', '상품목록', '상품등록', '마이페이지', '핫딜'];
  const LEAVE = ['취소', '처음으로'];
  const SECURE_IMAGE = 'sys.plugin.secureimage';
  const PHOTO_MAX_COUNT = 10;
  const PHOTO_MAX_BYTES = 200 * 1024;
  const PHOTO_MAX_SIDE = 1024;
  const TEXT_FOLD = 500;
  const POLL_MS = 1000;
  const SKILL_TIMEOUT_MS = 20000;
  const KAKAO_TIMEOUT_MS = 5000;
  const STORE_KEY = 'junggye.emulator.v1';
  const SKILL_ERROR_TEXT = '죄송합니다. 응답을 받지 못했어요 (스킬 오류)';
  const DEFAULT_PANES = ['판매자', '구매자'];

  const query = new URLSearchParams(location.search);
  const FRESH = query.has('fresh') && query.get('fresh') !== '0';
  const MODE_PARAM = ['blocks', 'block'].includes(query.get('mode'))
    ? 'blocks'
    : query.get('mode') === 'conversation'
      ? 'conversation'
      : null;

  // ------------------------------------------------------------------ public state (read by tests)

  const emulator = {
    violations: [],
    errors: [],
    calls: 0,
    panes: [],
    catalogue: null,
    ready: false,
    pane: (name) => emulator.panes.find((p) => p.name === name) || null,
    idle(name) {
      const list = name ? [emulator.pane(name)].filter(Boolean) : emulator.panes;
      return list.every((p) => p.work === 0);
    },
    state(name) {
      const p = emulator.pane(name);
      if (!p) return null;
      return {
        name: p.name,
        userKey: p.userKey,
        mode: p.mode,
        work: p.work,
        messages: p.seq,
        pending: p.pending ? p.pending.param.name : null,
        noticeSeq: p.noticeSeq,
      };
    },
    addPane: (name) => addPane(name),
  };
  window.emulator = emulator;

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function str(value) {
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : String(value);
  }

  function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function arr(value) {
    return Array.isArray(value) ? value : [];
  }

  /** Only http(s) and same-origin paths may become links or image sources. */
  function safeUrl(value) {
    const text = str(value).trim();
    if (!text) return null;
    try {
      const url = new URL(text, location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  }

  function randomHex(chars) {
    const bytes = new Uint8Array(Math.ceil(chars / 2));
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, chars);
  }

  /** A stable 24-hex id (the shape of Open Builder's ids) for things that have none. */
  function fakeId(seed) {
    let out = '';
    for (let salt = 0; out.length < 24; salt++) {
      let h = 0x811c9dc5;
      for (const ch of `${salt}:${seed}`) {
        h ^= ch.codePointAt(0);
        h = Math.imul(h, 0x01000193) >>> 0;
      }
      out += h.toString(16).padStart(8, '0');
    }
    return out.slice(0, 24);
  }

  function clock() {
    try {
      return new Date().toLocaleTimeString('ko-KR', { hour: 'numeric', minute: '2-digit' });
    } catch {
      return '';
    }
  }

  function won(n) {
    const value = Number(n);
    if (!Number.isFinite(value)) return `${str(n)}원`;
    return `${Math.round(value).toLocaleString('ko-KR')}원`;
  }

  function toast(text) {
    const box = document.getElementById('toasts');
    if (!box) return;
    const t = el('div', 'toast', text);
    box.appendChild(t);
    setTimeout(() => t.remove(), 2600);
  }

  function recordError(where, error) {
    const message = error && error.message ? error.message : str(error);
    emulator.errors.push({ where, message });
    console.error(`[emulator] ${where}:`, error);
  }

  const storage = {
    read() {
      try {
        const parsed = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
        return isObject(parsed) ? parsed : null;
      } catch {
        return null;
      }
    },
    write(value) {
      try {
        localStorage.setItem(STORE_KEY, JSON.stringify(value));
      } catch {
        /* private mode or full: identities last for this page only */
      }
    },
  };

  async function fetchText(url, options = {}, timeoutMs = SKILL_TIMEOUT_MS) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(url, { ...options, signal: controller.signal, cache: 'no-store' });
      const text = await response.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: response.status, ok: response.ok, text, json };
    } catch (error) {
      if (error && error.name === 'AbortError') throw new Error(`시간 초과 (${timeoutMs / 1000}초)`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------------------------------ catalogue

  const catalogue = {
    loaded: false,
    botId: 'junggye-dev-bot',
    botName: '중계나라',
    eventSkill: '/skill/notifications/event',
    fallback: { key: 'fallback', name: '폴백 블록', url: '/skill/chat', blockId: null, params: [] },
    photo: null,
    blocks: [],
    byId: new Map(),
    byUtterance: new Map(),
    photoUtterances: new Set(['사진 등록', '사진등록', '사진 올리기']),
    eventBlock: null,
  };
  let resolveReady;
  const catalogueReady = new Promise((resolve) => {
    resolveReady = resolve;
  });

  function normaliseBlock(raw) {
    if (!isObject(raw)) return null;
    return {
      key: str(raw.key),
      name: str(raw.name) || str(raw.key),
      url: str(raw.url),
      blockId: raw.blockId ? str(raw.blockId) : null,
      utterances: arr(raw.utterances).map(str),
      params: arr(raw.params)
        .filter(isObject)
        .map((p) => ({
          name: str(p.name),
          entity: str(p.entity) || 'sys.text',
          required: p.required === true,
          prompt: str(p.prompt),
          validation: p.validation ? str(p.validation) : null,
        })),
    };
  }

  function applyCatalogue(data) {
    catalogue.botId = str(data.botId) || catalogue.botId;
    catalogue.botName = str(data.botName) || catalogue.botName;
    catalogue.eventSkill = str(data.eventSkill) || catalogue.eventSkill;
    catalogue.blocks = arr(data.blocks).map(normaliseBlock).filter((b) => b && b.url);
    const fallbackRaw = normaliseBlock(data.fallback);
    const fallback =
      catalogue.blocks.find((b) => fallbackRaw && b.key === fallbackRaw.key) ||
      (fallbackRaw && fallbackRaw.url ? fallbackRaw : null) ||
      catalogue.blocks.find((b) => b.url === '/skill/chat');
    if (fallback) catalogue.fallback = fallback;

    const photoRaw = isObject(data.photo) ? data.photo : {};
    const photoBlock = catalogue.blocks.find((b) => b.key === str(photoRaw.key) && photoRaw.key) ||
      normaliseBlock({ ...photoRaw, params: photoRaw.params });
    if (photoBlock && photoBlock.url) {
      const paramName = str(photoRaw.param) || 'images';
      if (!photoBlock.params.some((p) => p.name === paramName)) {
        photoBlock.params.push({
          name: paramName,
          entity: SECURE_IMAGE,
          required: true,
          prompt: '상품 사진을 올려 주세요 (최대 10장)',
          validation: null,
        });
      }
      catalogue.photo = photoBlock;
      if (photoBlock.utterances.length) catalogue.photoUtterances = new Set(photoBlock.utterances);
    }

    catalogue.byId = new Map();
    catalogue.byUtterance = new Map();
    for (const block of catalogue.blocks) {
      if (block.blockId) catalogue.byId.set(block.blockId, block);
      for (const u of block.utterances) {
        const key = u.trim();
        if (key && !catalogue.byUtterance.has(key)) catalogue.byUtterance.set(key, block);
      }
    }
    catalogue.eventBlock = catalogue.blocks.find((b) => b.url === catalogue.eventSkill) || {
      key: 'notice_event',
      name: '알림',
      url: catalogue.eventSkill,
      blockId: null,
      utterances: [],
      params: [],
    };
    catalogue.loaded = true;
    emulator.catalogue = data;
    emulator.ready = true;
  }

  async function loadCatalogue() {
    const status = document.getElementById('catalogue-status');
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetchText(API.catalogue, {}, 10000);
        if (!res.ok || !isObject(res.json)) throw new Error(`HTTP ${res.status}`);
        applyCatalogue(res.json);
        const withIds = catalogue.blocks.filter((b) => b.blockId).length;
        if (status) {
          status.className = 'status';
          status.textContent = `블록 ${catalogue.blocks.length}개 · 블록 id ${withIds}개 · 봇 ${catalogue.botName}`;
        }
        resolveReady();
        return;
      } catch (error) {
        if (status) {
          status.className = 'status bad';
          status.textContent = `카탈로그를 불러오지 못했어요 (${error.message}) · 다시 시도 중`;
        }
        if (attempt === 1) recordError('catalogue', error);
        await new Promise((r) => setTimeout(r, Math.min(5000, 1000 * attempt)));
      }
    }
  }

  // ------------------------------------------------------------------ photos

  function canvasBlob(canvas, quality) {
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('JPEG로 바꾸지 못했어요'))), 'image/jpeg', quality);
    });
  }

  /** Downscales to at most 1024px and encodes JPEG 0.85, lowering quality (then size) to fit 200 KB. */
  async function encodeJpeg(source, width, height) {
    let scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(width, height, 1));
    for (let round = 0; round < 6; round++) {
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      for (let quality = 0.85; quality >= 0.35; quality -= 0.1) {
        const blob = await canvasBlob(canvas, quality);
        if (blob.size <= PHOTO_MAX_BYTES) return blob;
      }
      scale *= 0.7;
    }
    throw new Error('사진을 200KB 이하로 줄이지 못했어요');
  }

  async function decodeFile(file) {
    if (typeof createImageBitmap === 'function') {
      try {
        const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
        return { source: bitmap, width: bitmap.width, height: bitmap.height, done: () => bitmap.close() };
      } catch {
        /* fall back to <img> */
      }
    }
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return { source: img, width: img.naturalWidth, height: img.naturalHeight, done: () => {} };
    } catch {
      throw new Error(`'${file.name}'은(는) 읽을 수 없는 사진이에요`);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  let sampleCount = 0;

  /** A sample product photo drawn on a canvas, so no file is needed. */
  function sampleCanvas() {
    sampleCount += 1;
    const canvas = document.createElement('canvas');
    canvas.width = 960;
    canvas.height = 720;
    const ctx = canvas.getContext('2d');
    const hue = (sampleCount * 67 + Math.floor(Math.random() * 40)) % 360;
    const bg = ctx.createLinearGradient(0, 0, 960, 720);
    bg.addColorStop(0, `hsl(${hue}, 55%, 88%)`);
    bg.addColorStop(1, `hsl(${(hue + 40) % 360}, 50%, 70%)`);
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, 960, 720);
    ctx.fillStyle = 'rgba(0,0,0,0.12)';
    ctx.beginPath();
    ctx.ellipse(480, 560, 300, 40, 0, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = `hsl(${(hue + 180) % 360}, 45%, 38%)`;
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(250, 200, 460, 340, 36);
    else ctx.rect(250, 200, 460, 340);
    ctx.fill();
    ctx.fillStyle = `hsl(${(hue + 180) % 360}, 40%, 82%)`;
    ctx.beginPath();
    ctx.arc(480, 370, 95, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#1f2630';
    ctx.font = 'bold 54px sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(`샘플 사진 ${sampleCount}`, 480, 120);
    ctx.font = '28px sans-serif';
    ctx.fillText(new Date().toLocaleString('ko-KR'), 480, 660);
    return canvas;
  }

  async function uploadJpeg(blob) {
    const res = await fetchText(API.photos, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: blob,
    });
    if (!res.ok || !isObject(res.json) || !safeUrl(res.json.url)) {
      throw new Error(`사진 올리기 실패: HTTP ${res.status} ${res.text.slice(0, 120)}`);
    }
    return res.json.url;
  }

  /** The value Kakao's secure-image plugin puts in action.params: a JSON string with a Scala List. */
  function pluginValue(urls) {
    return JSON.stringify({
      privacyAgreement: 'Y',
      imageQuantity: String(urls.length),
      secureUrls: `List(${urls.join(', ')})`,
      expire: new Date(Date.now() + 10 * 60 * 1000).toISOString(),
    });
  }

  // ------------------------------------------------------------------ panes

  const panesBox = () => document.getElementById('panes');
  const saved = FRESH ? null : storage.read();
  const slots = [];

  function persist() {
    storage.write({
      panes: emulator.panes.map((p) => ({ name: p.name, userKey: p.userKey, mode: p.mode })),
    });
  }

  class Pane {
    constructor(name, userKey, mode) {
      this.name = name;
      this.userKey = userKey || randomHex(64);
      this.mode = MODE_PARAM || (mode === 'blocks' ? 'blocks' : 'conversation');
      this.json = false;
      this.work = 0;
      this.seq = 0;
      this.pending = null;
      this.contexts = [];
      this.queue = Promise.resolve();
      this.noticeSeq = 0;
      this.noticesPrimed = false;
      this.noticePolling = false;
      this.noticeBackoffUntil = 0;
      this.build();
      this.timer = setInterval(() => this.pollNotices(), POLL_MS);
    }

    get pfKey() {
      return this.userKey.slice(0, 12);
    }

    // ---------------------------------------------------------------- DOM

    build() {
      const root = el('section', 'pane');
      root.dataset.pane = this.name;
      root.dataset.busy = '0';

      const header = el('div', 'pane-header');
      const title = el('div', 'pane-title');
      title.append(el('span', 'pane-name', this.name));
      this.keyLabel = el('span', 'pane-key');
      title.append(this.keyLabel);
      header.append(title);

      const modes = el('div', 'switch');
      modes.setAttribute('role', 'group');
      modes.setAttribute('aria-label', '모드');
      this.modeButtons = {};
      for (const [mode, label] of [
        ['conversation', '대화 모드'],
        ['blocks', '블록 모드'],
      ]) {
        const b = el('button', `mode-${mode}`, label);
        b.type = 'button';
        b.dataset.mode = mode;
        b.addEventListener('click', () => this.setMode(mode));
        modes.append(b);
        this.modeButtons[mode] = b;
      }
      header.append(modes);

      this.jsonButton = el('button', 'tool json-toggle', 'JSON');
      this.jsonButton.type = 'button';
      this.jsonButton.title = '답의 JSON, HTTP 상태, 시간, 카카오 검사 결과 보기';
      this.jsonButton.addEventListener('click', () => this.setJson(!this.json));
      header.append(this.jsonButton);

      const reset = el('button', 'tool reset', '새 키');
      reset.type = 'button';
      reset.title = '새 사용자 키로 다시 시작 (다른 사람이 된 것처럼)';
      reset.addEventListener('click', () => this.resetIdentity());
      header.append(reset);

      if (!DEFAULT_PANES.includes(this.name)) {
        const close = el('button', 'tool close', '×');
        close.type = 'button';
        close.title = '이 사용자 닫기';
        close.addEventListener('click', () => removePane(this));
        header.append(close);
      }
      root.append(header);

      this.messages = el('div', 'messages');
      this.messages.append(
        el('div', 'empty-hint', `${this.name}의 채팅방이에요. 아래 메뉴를 누르거나 메시지를 보내 보세요.`),
      );
      root.append(this.messages);

      const hints = el('div', 'hints');
      for (const word of MENU) {
        const chip = el('button', 'hint', word);
        chip.type = 'button';
        chip.addEventListener('click', () => this.userSays(word, { type: 'text' }));
        hints.append(chip);
      }
      root.append(hints);

      const composer = el('form', 'composer');
      this.input = el('textarea');
      this.input.rows = 1;
      this.input.placeholder = '메시지 입력';
      this.input.setAttribute('aria-label', `${this.name} 메시지`);
      const send = el('button', 'send', '전송');
      send.type = 'submit';
      composer.append(this.input, send);
      composer.addEventListener('submit', (event) => {
        event.preventDefault();
        this.sendTyped();
      });
      this.input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          this.sendTyped();
        }
      });
      root.append(composer);

      this.root = root;
      this.refreshHeader();
    }

    refreshHeader() {
      this.keyLabel.textContent = `user ${this.userKey.slice(0, 10)}…`;
      this.keyLabel.title = this.userKey;
      this.root.dataset.mode = this.mode;
      for (const [mode, button] of Object.entries(this.modeButtons)) {
        button.setAttribute('aria-pressed', String(mode === this.mode));
      }
      this.jsonButton.setAttribute('aria-pressed', String(this.json));
      this.root.classList.toggle('json-on', this.json);
    }

    setMode(mode) {
      if (mode === this.mode) return;
      this.mode = mode;
      this.pending = null;
      this.refreshHeader();
      this.system(mode === 'blocks' ? '블록 모드로 바꿨어요' : '대화 모드로 바꿨어요');
      persist();
    }

    setJson(on) {
      this.json = on;
      this.refreshHeader();
    }

    resetIdentity() {
      this.userKey = randomHex(64);
      this.pending = null;
      this.contexts = [];
      this.noticeSeq = 0;
      this.noticesPrimed = false;
      this.refreshHeader();
      this.system('새 사용자 키로 시작해요');
      persist();
    }

    setWork(delta) {
      this.work = Math.max(0, this.work + delta);
      this.root.dataset.busy = String(this.work);
      this.root.classList.toggle('busy', this.work > 0);
    }

    append(node) {
      const hint = this.messages.querySelector('.empty-hint');
      if (hint) hint.remove();
      this.messages.append(node);
      this.seq += 1;
      this.scrollDown();
    }

    scrollDown() {
      const box = this.messages;
      box.scrollTop = box.scrollHeight;
      requestAnimationFrame(() => {
        box.scrollTop = box.scrollHeight;
      });
    }

    system(text) {
      const line = el('div', 'sys');
      line.append(el('span', null, text));
      this.append(line);
    }

    clearQuickReplies() {
      for (const row of this.messages.querySelectorAll('.quick-replies')) row.remove();
    }

    userBubble(text) {
      const msg = el('div', 'msg user');
      const stack = el('div', 'stack');
      const row = el('div', 'row-time');
      row.append(el('div', 'bubble', text), el('span', 'time', clock()));
      stack.append(row);
      msg.append(stack);
      this.append(msg);
    }

    userPhotos(blobs) {
      const msg = el('div', 'msg user');
      const stack = el('div', 'stack');
      const row = el('div', 'row-time');
      const grid = el('div', 'user-photos');
      for (const blob of blobs) {
        const img = el('img');
        img.alt = '보낸 사진';
        img.src = URL.createObjectURL(blob);
        grid.append(img);
      }
      row.append(grid, el('span', 'time', clock()));
      stack.append(row);
      msg.append(stack);
      this.append(msg);
    }

    /** An empty bot message: avatar, name, and a stack the caller fills. */
    botMessage({ notice = false, prompt = false, debugOnly = false } = {}) {
      const msg = el('div', 'msg bot');
      if (notice) msg.classList.add('notice');
      if (debugOnly) msg.classList.add('debug-only');
      msg.append(el('div', 'avatar', '중'));
      const side = el('div', 'bot-side');
      const name = el('div', 'bot-name', catalogue.botName);
      if (notice) name.append(el('span', 'notice-label', '알림'));
      if (prompt) name.append(el('span', 'prompt-label', '되묻기'));
      side.append(name);
      const stack = el('div', 'stack');
      side.append(stack);
      msg.append(side);
      return { msg, stack };
    }

    /** Puts the time beside the last output of a message and appends it. */
    finishBot(msg, stack) {
      const outputs = Array.from(stack.children).filter(
        (c) => !c.classList.contains('debug') && !c.classList.contains('verdict-badge'),
      );
      const last = outputs[outputs.length - 1];
      if (last) {
        const row = el('div', 'row-time');
        stack.insertBefore(row, last);
        row.append(last, el('span', 'time', clock()));
      }
      this.append(msg);
    }

    botText(text, options = {}) {
      const { msg, stack } = this.botMessage(options);
      stack.append(textBubble(text));
      this.finishBot(msg, stack);
      return msg;
    }

    errorBubble(text, call) {
      const { msg, stack } = this.botMessage();
      msg.classList.add('error');
      const bubble = el('div', 'bubble error-bubble', text);
      stack.append(bubble);
      if (call) attachDebug(stack, call);
      this.finishBot(msg, stack);
      return msg;
    }

    // ---------------------------------------------------------------- what the user does

    sendTyped() {
      const text = this.input.value;
      if (!text.trim()) return;
      this.input.value = '';
      this.userSays(text, { type: 'text' });
    }

    /** The user says `text` (typed, a message button, a quick reply, or a block button's text). */
    userSays(text, route) {
      this.clearQuickReplies();
      this.userBubble(text);
      return this.enqueue('dispatch', () => this.dispatch(text, route || { type: 'text' }));
    }

    enqueue(what, job) {
      this.setWork(1);
      const run = async () => {
        try {
          await job();
        } catch (error) {
          recordError(`${this.name} ${what}`, error);
          this.errorBubble(`에뮬레이터 오류: ${error && error.message ? error.message : error}`);
        } finally {
          this.setWork(-1);
        }
      };
      this.queue = this.queue.then(run, run);
      return this.queue;
    }

    async dispatch(text, route) {
      await catalogueReady;
      const said = str(text).trim();
      const known = route.type === 'block' && route.blockId ? catalogue.byId.get(route.blockId) : null;

      if (this.pending) {
        const photo = this.pending.param.entity === SECURE_IMAGE;
        if (known || LEAVE.includes(said) || photo) {
          this.pending = null;
          this.system(photo ? '사진 올리기를 그만뒀어요' : '질문을 그만뒀어요');
        } else {
          return this.answerPending(text);
        }
      }
      if (known) return this.runBlock(known, text, isObject(route.extra) ? route.extra : {});
      if (this.mode === 'conversation') {
        if (catalogue.photo && catalogue.photoUtterances.has(said)) {
          // Conversation mode's one skill serves the 사진 등록 block too (its plugin parameter says so).
          return this.runBlock({ ...catalogue.photo, url: catalogue.fallback.url }, text, {});
        }
        return this.runSkill(catalogue.fallback, text, {}, {}, {});
      }
      const block = catalogue.byUtterance.get(said);
      if (block) return this.runBlock(block, text, {});
      return this.runSkill(catalogue.fallback, text, {}, {}, {});
    }

    /** Runs a block as Open Builder does: ask each missing required parameter, then call its skill. */
    runBlock(block, utterance, extra) {
      const state = { block, utterance, extra: { ...extra }, params: {}, detail: {} };
      return this.fillNext(state);
    }

    async fillNext(state) {
      const missing = state.block.params.find((p) => p.required && !(p.name in state.params));
      if (missing) {
        this.pending = { state, param: missing };
        if (missing.entity === SECURE_IMAGE) {
          this.photoPrompt(this.pending);
        } else {
          this.botText(missing.prompt || `${missing.name}을(를) 알려 주세요`, { prompt: true });
        }
        return;
      }
      this.pending = null;
      await this.runSkill(state.block, state.utterance, state.params, state.detail, state.extra);
    }

    async answerPending(text) {
      const pending = this.pending;
      const { state, param } = pending;
      let value = str(text);
      if (param.validation) {
        const payload = {
          isInSlotFilling: true,
          utterance: value,
          value: { origin: value, resolved: value },
          user: { id: this.userKey, type: 'botUserKey', properties: {} },
        };
        const call = await this.call(param.validation, payload, 'validation');
        if (!call.usable) {
          this.pending = null;
          this.errorBubble(SKILL_ERROR_TEXT, call);
          return;
        }
        const body = call.body;
        const status = str(body.status).toUpperCase();
        if (status === 'SUCCESS') {
          if (body.value !== undefined && body.value !== null && str(body.value) !== '') value = str(body.value);
          this.debugOnly(call);
        } else if (status === 'FAIL') {
          const { msg, stack } = this.botMessage({ prompt: true });
          stack.append(textBubble(str(body.message) || '다시 입력해 주세요.'));
          stack.append(textBubble(param.prompt || `${param.name}을(를) 알려 주세요`));
          attachDebug(stack, call);
          this.finishBot(msg, stack);
          return;
        } else {
          this.pending = null;
          const { msg, stack } = this.botMessage();
          const problem = `검증 스킬 status: ${status || '(없음)'}`;
          call.problems.push(problem);
          emulator.violations.push({ pane: this.name, path: call.path, violations: [problem], status: call.status });
          markBad(msg);
          stack.append(el('div', 'bubble error-bubble', str(body.message) || SKILL_ERROR_TEXT));
          attachDebug(stack, call);
          this.finishBot(msg, stack);
          return;
        }
      }
      state.params[param.name] = value;
      state.detail[param.name] = { origin: str(text), value, groupName: '' };
      await this.fillNext(state);
    }

    // ---------------------------------------------------------------- photo picker

    photoPrompt(pending) {
      const { msg, stack } = this.botMessage({ prompt: true });
      msg.classList.add('photo-request');
      const card = el('div', 'card photo-card');
      const body = el('div', 'card-body');
      body.append(el('div', 'card-desc', pending.param.prompt || '사진을 올려 주세요'));
      card.append(body);
      const buttons = el('div', 'photo-prompt');
      const upload = el('button', 'photo-upload', '사진 올리기');
      upload.type = 'button';
      const sample = el('button', 'photo-sample secondary', '샘플 사진');
      sample.type = 'button';
      const input = el('input');
      input.type = 'file';
      input.accept = 'image/*';
      input.multiple = true;
      input.hidden = true;
      input.className = 'photo-input';
      buttons.append(upload, sample, input);
      card.append(buttons);
      const status = el('div', 'photo-status', `최대 ${PHOTO_MAX_COUNT}장, 한 장에 200KB 이하로 줄여 올려요`);
      card.append(status);
      stack.append(card);
      this.finishBot(msg, stack);

      const stale = () => {
        if (this.pending === pending) return false;
        toast('이미 지난 질문이에요');
        return true;
      };
      const start = (sources) => {
        if (stale()) return;
        upload.disabled = true;
        sample.disabled = true;
        this.enqueue('photos', () => this.sendPhotos(pending, sources, status)).then(() => {
          if (this.pending === pending) {
            upload.disabled = false;
            sample.disabled = false;
          }
        });
      };
      upload.addEventListener('click', () => {
        if (!stale()) input.click();
      });
      input.addEventListener('change', () => {
        let files = Array.from(input.files || []).filter((f) => !f.type || f.type.startsWith('image/'));
        input.value = '';
        if (!files.length) return;
        if (files.length > PHOTO_MAX_COUNT) {
          toast(`사진은 ${PHOTO_MAX_COUNT}장까지 올릴 수 있어요`);
          files = files.slice(0, PHOTO_MAX_COUNT);
        }
        start(files.map((file) => ({ file })));
      });
      sample.addEventListener('click', () => start([{ canvas: sampleCanvas() }]));
    }

    async sendPhotos(pending, sources, status) {
      if (this.pending !== pending) return;
      const blobs = [];
      const urls = [];
      try {
        for (const [i, source] of sources.entries()) {
          status.textContent = `사진 준비 중 ${i + 1}/${sources.length}`;
          let blob;
          if (source.canvas) {
            blob = await encodeJpeg(source.canvas, source.canvas.width, source.canvas.height);
          } else {
            const decoded = await decodeFile(source.file);
            try {
              blob = await encodeJpeg(decoded.source, decoded.width, decoded.height);
            } finally {
              decoded.done();
            }
          }
          status.textContent = `사진 올리는 중 ${i + 1}/${sources.length} (${Math.round(blob.size / 1024)}KB)`;
          urls.push(await uploadJpeg(blob));
          blobs.push(blob);
        }
      } catch (error) {
        status.textContent = '사진을 올리지 못했어요';
        recordError(`${this.name} photos`, error);
        this.errorBubble(`사진을 올리지 못했어요: ${error.message || error}`);
        return;
      }
      if (this.pending !== pending) return;
      status.textContent = `${urls.length}장 올렸어요`;
      this.clearQuickReplies();
      this.userPhotos(blobs);
      const value = pluginValue(urls);
      const { state, param } = pending;
      state.params[param.name] = value;
      state.detail[param.name] = { origin: value, value, groupName: '' };
      await this.fillNext(state);
    }

    // ---------------------------------------------------------------- skill calls

    payload(block, utterance, params, detailParams, extra) {
      const blockId = block.blockId || fakeId(`block:${block.key || block.url}`);
      const stringParams = {};
      for (const [k, v] of Object.entries(params || {})) stringParams[k] = str(v);
      const details = {};
      for (const [k, v] of Object.entries(detailParams || {})) details[k] = v;
      for (const [k, v] of Object.entries(stringParams)) {
        if (!details[k]) details[k] = { origin: v, value: v, groupName: '' };
      }
      const clientExtra = {};
      for (const [k, v] of Object.entries(extra || {})) clientExtra[k] = v;
      return {
        intent: { id: blockId, name: block.name },
        userRequest: {
          timezone: 'Asia/Seoul',
          params: { surface: 'Kakaotalk.plusfriend' },
          block: { id: blockId, name: block.name },
          utterance: str(utterance),
          lang: 'ko',
          user: {
            id: this.userKey,
            type: 'botUserKey',
            properties: { plusfriendUserKey: this.pfKey, isFriend: true },
          },
        },
        bot: { id: catalogue.botId, name: catalogue.botName },
        action: {
          id: fakeId(`skill:${block.url}`),
          name: `${block.name} 스킬`,
          params: stringParams,
          detailParams: details,
          clientExtra,
        },
        contexts: this.liveContexts(),
      };
    }

    liveContexts() {
      const now = Date.now();
      this.contexts = this.contexts.filter((c) => c.lifespan > 0 && (!c.expires || c.expires > now));
      return this.contexts.map((c) => {
        const params = {};
        for (const [k, v] of Object.entries(c.params)) params[k] = { value: v, resolvedValue: v };
        return { name: c.name, lifespan: c.lifespan, ttl: c.ttl, params };
      });
    }

    /** A turn happened: contexts lose a turn, then the answer's context values apply. */
    updateContexts(body) {
      for (const c of this.contexts) c.lifespan -= 1;
      const values = isObject(body) && isObject(body.context) ? arr(body.context.values) : [];
      for (const value of values) {
        if (!isObject(value) || !value.name) continue;
        const name = str(value.name);
        this.contexts = this.contexts.filter((c) => c.name !== name);
        const lifespan = Number(value.lifeSpan ?? value.lifespan ?? 0);
        if (lifespan > 0) {
          const ttl = Number(value.ttl || 0);
          const params = {};
          if (isObject(value.params)) for (const [k, v] of Object.entries(value.params)) params[k] = str(v);
          this.contexts.push({ name, lifespan, ttl, params, expires: ttl > 0 ? Date.now() + ttl * 1000 : 0 });
        }
      }
      this.contexts = this.contexts.filter((c) => c.lifespan > 0);
    }

    /** POST /dev/chat/skill; never throws. `usable` when the answer is JSON with status 200. */
    async call(path, payload, kind) {
      emulator.calls += 1;
      const call = { path, payload, kind, status: 0, ms: 0, body: null, text: '', verdict: null, problems: [] };
      let res;
      try {
        res = await fetchText(API.skill, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ path, payload }),
        });
      } catch (error) {
        call.network = error && error.message ? error.message : String(error);
        call.problems.push(`네트워크 오류: ${call.network}`);
        recordError(`${this.name} ${path}`, error);
        return call;
      }
      if (!res.ok || !isObject(res.json)) {
        call.network = `에뮬레이터 HTTP ${res.status}`;
        call.text = res.text;
        call.problems.push(`${call.network}: ${res.text.slice(0, 200)}`);
        recordError(`${this.name} ${path}`, new Error(call.network));
        return call;
      }
      const r = res.json;
      call.status = Number(r.status) || 0;
      call.ms = Number(r.ms) || 0;
      call.body = r.body === undefined ? null : r.body;
      call.text = str(r.text);
      call.verdict = isObject(r.verdict) ? r.verdict : null;
      if (call.verdict && call.verdict.ok === false) {
        const list = arr(call.verdict.violations).map(str);
        call.problems.push(...(list.length ? list : ['Kakao 검사 실패']));
      } else {
        // The checker judged the answer fine (or said nothing): still no answer without 200 and JSON.
        if (call.status !== 200) call.problems.push(`HTTP ${call.status}`);
        if (!isObject(call.body)) call.problems.push('응답이 JSON 객체가 아니에요');
      }
      if (call.ms > KAKAO_TIMEOUT_MS) {
        call.problems.push(`${(call.ms / 1000).toFixed(1)}초 걸렸어요: 카카오는 5초가 지나면 기다리지 않아요`);
      }
      call.usable = call.status === 200 && isObject(call.body);
      if (call.problems.length) {
        emulator.violations.push({ pane: this.name, path, violations: call.problems.slice(), status: call.status });
      }
      return call;
    }

    async runSkill(block, utterance, params, detail, extra, options = {}) {
      const payload = this.payload(block, utterance, params, detail, extra);
      const call = await this.call(block.url, payload, options.notice ? 'event' : 'skill');
      if (call.network) {
        const { msg, stack } = this.botMessage(options);
        msg.classList.add('error', 'network-error');
        stack.append(el('div', 'bubble error-bubble', `연결 오류: ${call.network}`));
        attachDebug(stack, call);
        this.finishBot(msg, stack);
        return call;
      }
      if (!call.usable) {
        const { msg, stack } = this.botMessage(options);
        markBad(msg);
        msg.classList.add('error');
        stack.append(el('div', 'bubble error-bubble', SKILL_ERROR_TEXT));
        attachDebug(stack, call);
        this.finishBot(msg, stack);
        return call;
      }
      this.updateContexts(call.body);
      this.renderAnswer(call, options);
      return call;
    }

    renderAnswer(call, options) {
      const body = call.body;
      const { msg, stack } = this.botMessage(options);
      msg.dataset.path = call.path;
      const template = isObject(body.template) ? body.template : null;
      const outputs = template ? arr(template.outputs) : [];
      for (const output of outputs) {
        try {
          const node = renderOutput(output, this);
          if (node) stack.append(node);
        } catch (error) {
          recordError(`${this.name} render`, error);
          stack.append(el('div', 'bubble error-bubble', `그릴 수 없는 출력: ${error.message}`));
        }
      }
      if (!outputs.length) {
        const why = body.useCallback ? '(콜백 응답: 나중에 도착해요)' : '(출력 없음)';
        stack.append(el('div', 'bubble empty-output', why));
      }
      if (call.problems.length) markBad(msg);
      const badge = el('span', 'verdict-badge', 'Kakao 검사 실패 · 실제 카카오톡에서는 오류');
      stack.append(badge);
      attachDebug(stack, call);
      this.finishBot(msg, stack);
      const replies = template ? arr(template.quickReplies) : [];
      if (replies.length) this.quickReplies(replies);
    }

    debugOnly(call) {
      const { msg, stack } = this.botMessage({ debugOnly: true });
      if (call.problems.length) {
        markBad(msg);
        msg.classList.remove('debug-only');
        stack.append(el('span', 'verdict-badge', 'Kakao 검사 실패'));
      }
      attachDebug(stack, call);
      this.append(msg);
    }

    quickReplies(replies) {
      const row = el('div', 'quick-replies');
      for (const reply of replies) {
        if (!isObject(reply)) continue;
        const label = str(reply.label);
        const chip = el('button', 'qr', label || '(이름 없음)');
        chip.type = 'button';
        chip.dataset.action = str(reply.action);
        chip.title = reply.action === 'block' ? `블록 ${str(reply.blockId)}` : str(reply.messageText);
        chip.addEventListener('click', () => this.act(reply, label));
        row.append(chip);
      }
      this.append(row);
    }

    /** A tap on a quick reply, a card button or a list row. */
    act(action, label) {
      try {
        const kind = str(action.action);
        const said = str(action.messageText) || label;
        switch (kind) {
          case 'message':
            return this.userSays(said, { type: 'message' });
          case 'block':
            return this.userSays(said, {
              type: 'block',
              blockId: action.blockId ? str(action.blockId) : null,
              extra: isObject(action.extra) ? action.extra : {},
            });
          case 'webLink':
            return openInApp(action.webLinkUrl);
          case 'osLink': {
            const os = isObject(action.osLink) ? action.osLink : {};
            return openInApp(os.pc || os.mobile || os.web || action.webLinkUrl);
          }
          case 'phone':
            return toast(`전화 걸기: ${str(action.phoneNumber)}`);
          case 'share':
            return toast('공유하기');
          case 'operator':
            return toast('상담원 연결');
          case 'addChannel':
            return toast('채널 추가');
          default:
            if (action.link && isObject(action.link)) return openInApp(action.link.web || action.link.pc);
            return toast(`알 수 없는 동작: ${kind || '(없음)'}`);
        }
      } catch (error) {
        recordError(`${this.name} tap`, error);
        toast(`오류: ${error.message}`);
        return undefined;
      }
    }

    // ---------------------------------------------------------------- notices (Event API stand-in)

    async pollNotices() {
      if (this.noticePolling || !catalogue.loaded || Date.now() < this.noticeBackoffUntil) return;
      this.noticePolling = true;
      try {
        const user = this.userKey;
        const url = `${API.notices}?user=${encodeURIComponent(user)}&after=${this.noticeSeq}`;
        const res = await fetchText(url, {}, 8000);
        if (user !== this.userKey) return;
        if (!res.ok || !isObject(res.json)) {
          this.noticeBackoffUntil = Date.now() + 10000;
          return;
        }
        // A restarted server numbers its notices from 1 again: everything it holds is new to this page.
        const boot = str(res.json.boot);
        if (this.noticeBoot && boot && boot !== this.noticeBoot) {
          this.noticeBoot = boot;
          this.noticeSeq = 0;
          return;
        }
        this.noticeBoot = boot;
        const events = arr(res.json.events)
          .filter((e) => isObject(e) && Number(e.seq) > this.noticeSeq)
          .sort((a, b) => Number(a.seq) - Number(b.seq));
        if (!this.noticesPrimed) {
          // Notices sent before this page opened belong to an earlier session of this user.
          this.noticesPrimed = true;
          for (const e of events) this.noticeSeq = Math.max(this.noticeSeq, Number(e.seq));
          return;
        }
        for (const event of events) {
          this.noticeSeq = Math.max(this.noticeSeq, Number(event.seq));
          this.enqueue('notice', () => this.showNotice(event));
        }
      } catch {
        this.noticeBackoffUntil = Date.now() + 5000;
      } finally {
        this.noticePolling = false;
      }
    }

    async showNotice(event) {
      const params = {};
      if (isObject(event.params)) for (const [k, v] of Object.entries(event.params)) params[k] = str(v);
      this.clearQuickReplies();
      // Conversation mode connects its one skill to the event block as well (the `batch` says so).
      const block = this.mode === 'conversation' ? { ...catalogue.eventBlock, url: catalogue.fallback.url } : catalogue.eventBlock;
      await this.runSkill(block, '', params, {}, {}, { notice: true });
    }

    destroy() {
      clearInterval(this.timer);
      this.root.remove();
    }
  }

  // ------------------------------------------------------------------ rendering Kakao components

  function textBubble(text) {
    const full = str(text);
    const bubble = el('div', 'bubble');
    if ([...full].length <= TEXT_FOLD) {
      bubble.textContent = full;
      return bubble;
    }
    const short = [...full].slice(0, TEXT_FOLD).join('');
    const body = el('span', null, `${short}…`);
    const more = el('button', 'more-text', '전체 보기');
    more.type = 'button';
    more.addEventListener('click', () => {
      body.textContent = full;
      more.remove();
    });
    bubble.append(body, more);
    return bubble;
  }

  function image(url, className, alt) {
    const src = safeUrl(url);
    const img = el('img', className);
    img.alt = str(alt);
    img.loading = 'lazy';
    img.decoding = 'async';
    if (src) img.src = src;
    return img;
  }

  function thumbnailNode(thumb, square) {
    if (!isObject(thumb)) return null;
    const img = image(thumb.imageUrl, 'card-thumb', '');
    if (square || thumb.fixedRatio) img.classList.add('square');
    const link = isObject(thumb.link) ? thumb.link.web || thumb.link.pc || thumb.link.mobile : null;
    if (safeUrl(link)) {
      img.classList.add('link');
      img.addEventListener('click', () => openInApp(link));
    }
    return img;
  }

  function buttonsNode(buttons, pane, layout) {
    const list = arr(buttons).filter(isObject);
    if (!list.length) return null;
    const horizontal = layout ? layout === 'horizontal' : list.length === 2;
    const box = el('div', `card-buttons${horizontal ? ' horizontal' : ''}`);
    for (const button of list) {
      const label = str(button.label);
      const b = el('button', 'card-btn', label || '(이름 없음)');
      b.type = 'button';
      b.title = label;
      b.dataset.action = str(button.action);
      b.addEventListener('click', () => pane.act(button, label));
      box.append(b);
    }
    return box;
  }

  function profileNode(profile, nameKey) {
    if (!isObject(profile)) return null;
    const row = el('div', 'card-profile');
    if (safeUrl(profile.imageUrl)) row.append(image(profile.imageUrl, null, ''));
    else row.append(el('span', 'dot'));
    row.append(el('span', null, profile[nameKey] || profile.nickname || profile.title || ''));
    return row;
  }

  /** A card's title and description, as textCard and basicCard show them. */
  function titled(card) {
    const body = el('div', 'card-body');
    if (card.title) body.append(el('div', 'card-title', card.title));
    if (card.description) body.append(el('div', 'card-desc', card.description));
    return body;
  }

  /** Appends the card's buttons (if any) and returns the card. */
  function withButtons(node, card, pane) {
    const buttons = buttonsNode(card.buttons, pane, card.buttonLayout);
    if (buttons) node.append(buttons);
    return node;
  }

  function textCard(card, pane) {
    const node = el('div', 'card text-card');
    node.append(titled(card));
    return withButtons(node, card, pane);
  }

  function basicCard(card, pane) {
    const node = el('div', 'card basic-card');
    const profile = profileNode(card.profile, 'nickname');
    if (profile) node.append(profile);
    const thumb = thumbnailNode(card.thumbnail);
    if (thumb) node.append(thumb);
    if (card.title || card.description) node.append(titled(card));
    return withButtons(node, card, pane);
  }

  function commerceCard(card, pane) {
    const node = el('div', 'card commerce-card');
    const profile = profileNode(card.profile, 'nickname');
    if (profile) node.append(profile);
    const thumb = thumbnailNode(arr(card.thumbnails)[0]);
    if (thumb) node.append(thumb);
    const body = el('div', 'card-body');
    if (card.title) body.append(el('div', 'card-title', card.title));
    if (card.description) body.append(el('div', 'card-desc', card.description));
    const price = Number(card.price);
    const discount = Number(card.discount) || 0;
    const rate = Number(card.discountRate) || 0;
    let final = price;
    if (card.discountedPrice !== undefined && card.discountedPrice !== null && Number.isFinite(Number(card.discountedPrice))) {
      final = Number(card.discountedPrice);
    } else if (rate > 0) {
      final = Math.round((price * (100 - rate)) / 100);
    } else if (discount > 0) {
      final = price - discount;
    }
    const line = el('div', 'price-line');
    const currency = str(card.currency) || 'won';
    const fmt = (n) => (currency === 'won' ? won(n) : `${str(n)} ${currency}`);
    if (final !== price && Number.isFinite(final)) {
      const shownRate = rate || (price > 0 ? Math.round(((price - final) / price) * 100) : 0);
      if (shownRate > 0) line.append(el('span', 'discount', `${shownRate}%`));
      line.append(el('span', 'price', fmt(final)), el('span', 'price-was', fmt(price)));
    } else {
      line.append(el('span', 'price', fmt(card.price)));
    }
    body.append(line);
    node.append(body);
    return withButtons(node, card, pane);
  }

  function listCard(card, pane) {
    const node = el('div', 'card list-card');
    const header = isObject(card.header) ? card.header : {};
    const head = el('div', 'list-header');
    if (safeUrl(header.imageUrl)) head.append(image(header.imageUrl, null, ''));
    head.append(el('span', null, header.title || ''));
    node.append(head);
    for (const item of arr(card.items).filter(isObject)) {
      const tappable = item.action || (isObject(item.link) && (item.link.web || item.link.pc));
      const row = el(tappable ? 'button' : 'div', 'list-item');
      if (tappable) row.type = 'button';
      const text = el('div', 'li-text');
      text.append(el('span', 'li-title', item.title || ''));
      if (item.description) text.append(el('span', 'li-desc', item.description));
      row.append(text);
      if (safeUrl(item.imageUrl)) row.append(image(item.imageUrl, null, ''));
      if (item.action) {
        row.dataset.action = str(item.action);
        row.addEventListener('click', () => pane.act(item, str(item.title)));
      } else if (tappable) {
        row.dataset.action = 'link';
        row.addEventListener('click', () => openInApp(item.link.web || item.link.pc));
      }
      node.append(row);
    }
    const buttons = buttonsNode(card.buttons, pane, 'horizontal');
    if (buttons) node.append(buttons);
    return node;
  }

  function itemCard(card, pane) {
    const node = el('div', 'card item-card');
    const profile = profileNode(card.profile, 'title');
    if (profile) node.append(profile);
    const thumb = thumbnailNode(card.thumbnail);
    if (thumb) node.append(thumb);
    if (isObject(card.head) && card.head.title) node.append(el('div', 'item-head', card.head.title));
    if (isObject(card.imageTitle)) {
      const it = el('div', 'item-image-title');
      const words = el('div', 'li-text');
      words.append(el('span', 'card-title', card.imageTitle.title || ''));
      if (card.imageTitle.description) words.append(el('span', 'card-desc', card.imageTitle.description));
      it.append(words);
      if (safeUrl(card.imageTitle.imageUrl)) it.append(image(card.imageTitle.imageUrl, null, ''));
      node.append(it);
    }
    const list = el('div', `item-list${card.itemListAlignment === 'right' ? ' right' : ''}`);
    for (const row of arr(card.itemList).filter(isObject)) {
      const r = el('div', 'item-row');
      r.append(el('span', 'k', row.title || ''), el('span', 'v', row.description || ''));
      list.append(r);
    }
    node.append(list);
    if (isObject(card.itemListSummary)) {
      const s = el('div', 'item-summary');
      s.append(el('span', null, card.itemListSummary.title || ''), el('span', null, card.itemListSummary.description || ''));
      node.append(s);
    }
    if (card.title || card.description) {
      const t = el('div', 'item-text');
      if (card.title) t.append(el('div', 'card-title', card.title));
      if (card.description) t.append(el('div', 'card-desc', card.description));
      node.append(t);
    }
    return withButtons(node, card, pane);
  }

  const CARDS = { textCard, basicCard, commerceCard, listCard, itemCard };

  function carousel(value, pane) {
    const wrap = el('div', 'carousel-wrap');
    const strip = el('div', 'carousel');
    strip.dataset.type = str(value.type);
    const draw = CARDS[value.type];
    if (isObject(value.header)) {
      const h = value.header;
      const head = el('div', 'card carousel-header');
      const thumb = thumbnailNode(h.thumbnail);
      if (thumb) head.append(thumb);
      const body = el('div', 'card-body');
      if (h.title) body.append(el('div', 'card-title', h.title));
      if (h.description) body.append(el('div', 'card-desc', h.description));
      head.append(body);
      strip.append(head);
    }
    for (const item of arr(value.items).filter(isObject)) {
      strip.append(draw ? draw(item, pane) : el('div', 'bubble', `[알 수 없는 카드: ${str(value.type)}]`));
    }
    wrap.append(strip);
    return wrap;
  }

  function renderOutput(output, pane) {
    if (!isObject(output)) return el('div', 'bubble', '[알 수 없는 출력]');
    if (isObject(output.simpleText)) return textBubble(output.simpleText.text);
    if (isObject(output.simpleImage)) {
      const b = el('div', 'bubble image');
      b.append(image(output.simpleImage.imageUrl, null, output.simpleImage.altText));
      return b;
    }
    if (isObject(output.carousel)) return carousel(output.carousel, pane);
    for (const [key, draw] of Object.entries(CARDS)) {
      if (isObject(output[key])) return draw(output[key], pane);
    }
    return el('div', 'bubble', `[알 수 없는 출력: ${Object.keys(output).join(', ')}]`);
  }

  function markBad(msg) {
    msg.classList.add('violation');
  }

  function attachDebug(stack, call) {
    const box = el('div', 'debug');
    const meta = el('div', 'debug-meta');
    meta.append(el('code', null, `POST ${call.path}`));
    const ok = call.status === 200;
    meta.append(el('span', `debug-status ${ok ? 'ok' : 'bad'}`, call.network ? call.network : `HTTP ${call.status}`));
    meta.append(el('span', 'debug-ms', `${call.ms.toFixed ? call.ms.toFixed(1) : call.ms} ms`));
    if (call.kind !== 'skill') meta.append(el('span', 'debug-kind', call.kind === 'validation' ? '검증 스킬' : '이벤트 스킬'));
    box.append(meta);
    const verdict = el('div', 'verdict');
    if (!call.problems.length) {
      verdict.classList.add('ok');
      verdict.textContent = 'Kakao 검사 통과';
    } else {
      verdict.classList.add('bad');
      verdict.append(el('span', null, `Kakao 검사 위반 ${call.problems.length}건`));
      const ul = el('ul');
      for (const p of call.problems) ul.append(el('li', null, p));
      verdict.append(ul);
    }
    box.append(verdict);
    let shown;
    if (call.body !== null && call.body !== undefined) {
      try {
        shown = JSON.stringify(call.body, null, 2);
      } catch {
        shown = call.text;
      }
    } else {
      shown = call.text || '(빈 응답)';
    }
    box.append(el('pre', 'debug-json', shown));
    const details = el('details');
    details.append(el('summary', null, '요청 payload'));
    details.append(el('pre', 'debug-request', JSON.stringify(call.payload, null, 2)));
    box.append(details);
    stack.append(box);
  }

  function openInApp(url) {
    const safe = safeUrl(url);
    if (!safe) {
      toast(`열 수 없는 링크: ${str(url)}`);
      return null;
    }
    let win = null;
    try {
      win = window.open(safe, 'inapp', 'popup=yes,width=440,height=780');
    } catch (error) {
      recordError('window.open', error);
    }
    if (!win) toast(`팝업이 막혔어요: ${safe}`);
    return win;
  }

  // ------------------------------------------------------------------ pane list

  function addPane(name) {
    const taken = new Set(emulator.panes.map((p) => p.name));
    let label = name;
    if (!label) {
      let n = emulator.panes.length + 1;
      while (taken.has(`사용자 ${n}`)) n += 1;
      label = `사용자 ${n}`;
    }
    if (taken.has(label)) return emulator.pane(label);
    const stored = slots.find((s) => s.name === label);
    const pane = new Pane(label, stored && stored.userKey, stored && stored.mode);
    emulator.panes.push(pane);
    panesBox().append(pane.root);
    persist();
    return pane;
  }

  function removePane(pane) {
    pane.destroy();
    emulator.panes = emulator.panes.filter((p) => p !== pane);
    const i = slots.findIndex((s) => s.name === pane.name);
    if (i >= 0) slots.splice(i, 1);
    persist();
  }

  function start() {
    if (saved && Array.isArray(saved.panes)) {
      for (const s of saved.panes) {
        if (isObject(s) && typeof s.name === 'string' && /^[0-9a-f]{64}$/.test(str(s.userKey))) slots.push(s);
      }
    }
    const names = slots.map((s) => s.name);
    for (const n of DEFAULT_PANES) if (!names.includes(n)) names.unshift(n);
    const ordered = [...DEFAULT_PANES, ...names.filter((n) => !DEFAULT_PANES.includes(n))];
    for (const name of ordered) addPane(name);
    if (FRESH) {
      // New identities now; a reload keeps them.
      query.delete('fresh');
      const rest = query.toString();
      history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    }
    const add = document.getElementById('add-pane');
    if (add) add.addEventListener('click', () => addPane());
    loadCatalogue();
  }

  window.addEventListener('error', (event) => recordError('window', event.error || event.message));
  window.addEventListener('unhandledrejection', (event) => {
    recordError('promise', event.reason);
    event.preventDefault();
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
