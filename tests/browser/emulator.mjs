// Browser test of the development KakaoTalk emulator (/dev/chat): a whole trade, played by a seller and a
// buyer side by side, first in conversation mode (everything through the fallback block's /skill/chat),
// then in block mode (utterances matched to blocks, parameters asked and validated by the page) with
// fresh users. Every answer must pass Kakao's limit checker and no error may show.
//
//   EMULATOR_URL=http://127.0.0.1:8080 node tests/browser/emulator.mjs
//
// EMULATOR_URL   the server's base URL (required; the server must run with the emulator on)
// SCREENSHOT_DIR where the screenshots go (default docs/screenshots)
// CHROMIUM       the browser (default /usr/bin/chromium); Playwright's own browsers are never downloaded
// HEADFUL=1      show the browser window

import {
  RUN,
  Chat,
  assertClean,
  buy,
  confirmPurchase,
  confirmSale,
  finish,
  inBrowser,
  join,
  log,
  openPage,
  register,
  ship,
  shot,
} from './trade.mjs';

async function trade(context, mode) {
  const page = await openPage(context, mode);
  const seller = new Chat(page, '판매자');
  const buyer = new Chat(page, '구매자');
  const conversation = mode === 'conversation';
  const product = conversation
    ? {
        name: `닌텐도 스위치 ${RUN}`,
        search: '닌텐도',
        category: '디지털기기',
        price: '25만원',
        won: '250,000원',
        description: '박스와 충전기 포함, 거의 새것이에요.',
        location: '강남역 2번 출구',
      }
    : {
        name: `캠핑 의자 ${RUN}`,
        search: '캠핑',
        category: '스포츠/레저',
        price: '3만 5천원',
        won: '35,000원',
        description: '두 번 썼어요. 가방 포함.',
        location: '홍대입구역 9번 출구',
      };
  const who = conversation ? 'C' : 'B';

  log(`${mode}: seller joins`);
  if (!conversation) {
    // Block mode: the page asks the block's parameters and calls their validation skills. The buyer
    // starts joining too, and the seller's pane shows each answer's JSON and the checker's verdict.
    await buyer.say('회원가입');
    await buyer.expect('가입할 이름');
    await seller.setJson(true);
  }
  await join(seller, `판매${who}${RUN}`, {
    wrongPhone: true,
    shotAfterWrong: conversation ? null : 'emulator-blocks.png',
  });
  if (!conversation) await seller.setJson(false);

  log(`${mode}: seller registers ${product.name}`);
  if (conversation) {
    // Conversation mode starts a registration at the category picker.
    await seller.hint('상품등록');
    await register(seller, product);
  } else {
    // Block mode: the utterance opens Open Builder's 상품 등록 block, which asks only its required
    // parameters (no category).
    await seller.say('상품등록');
    await register(seller, product, { picker: false });
  }

  log(`${mode}: buyer joins, searches and pays`);
  await join(buyer, `구매${who}${RUN}`, { started: !conversation });
  // Conversation mode: the buyer's search answer (commerce cards, quick replies) beside the seller.
  await buy(buyer, product, conversation ? { searchShot: 'emulator-conversation.png' } : { payShot: 'emulator-pay.png' });

  log(`${mode}: seller gets the paid notice and ships`);
  await seller.notice('결제가 완료됐어요');
  if (conversation) await shot(page, 'emulator-notice.png');
  await ship(seller, product);

  log(`${mode}: buyer confirms the purchase, seller the sale`);
  await buyer.notice('발송됐어요');
  await confirmPurchase(buyer, product);
  await confirmSale(seller);
  await buyer.notice('거래가 완료됐어요');

  await assertClean(page, mode);
  await page.close();
}

finish(
  inBrowser('emulator', async (context) => {
    await trade(context, 'conversation');
    await trade(context, 'blocks');
  }),
  'a whole trade in conversation mode and in block mode',
);
