-- Telling people when something happens (Kakao's Event API), and what they asked to be told about.

-- A member's choices about alerts (keyword and favourite alerts; trade notices about their own orders are
-- always sent). Each is the time the member chose it, NULL when they did not: alerts are on by default,
-- and alerts at night (21:00–08:00 KST) need the member's consent, which is kept with its time.
ALTER TABLE members ADD COLUMN alerts_off_at INTEGER;
ALTER TABLE members ADD COLUMN night_alerts_at INTEGER;

-- The outbox. A row is written in the same transaction as the change it announces, so a change never
-- commits without its notice and no notice exists for a change that rolled back. The sender claims rows,
-- sends them, and records what became of each; rows are never deleted by the sender.
--
-- state: queued (waiting for `not_before`) → sending (claimed by one sender until `check_at`) →
--        accepted (Kakao took the job, `task_id`; its result is read at `check_at`) → delivered
--        | unsure (the answer was lost: Kakao may or may not have the job; looked at again at `check_at`)
--        | failed (Kakao refused, with `last_error`) | dropped (not sent: member gone, alerts turned off)
--        | folded (a keyword alert over the member's daily allowance, counted in a digest instead).
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER  NOT NULL REFERENCES members (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('order_paid', 'tracking_entered', 'tracking_changed',
                 'purchase_confirmed', 'sale_confirmed', 'order_cancelled', 'refund_done', 'hold_expired',
                 'auto_confirm_soon', 'auto_confirmed', 'keyword_match', 'keyword_digest', 'price_drop',
                 'favourite_sold', 'favourite_back')),
    order_id     INTEGER  REFERENCES orders (id),
    product_id   INTEGER  REFERENCES products (id),
    -- What the notice is about, as it was when it was written (the item's name, a keyword).
    subject      TEXT    NOT NULL,
    -- Won (a price, an amount paid), or a count (a digest).
    amount       INTEGER,
    -- One more fact, as it was: a tracking number, the price before a drop, the keyword that matched.
    detail       TEXT,
    -- Two notices with one key are one notice (a keyword alert per member and product, one warning per
    -- shipment, one digest per member and day).
    dedupe_key   TEXT    UNIQUE,
    state        TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'accepted',
                 'delivered', 'unsure', 'failed', 'dropped', 'folded')),
    not_before   INTEGER  NOT NULL,
    attempts     INTEGER  NOT NULL DEFAULT 0,
    -- The send this row went out in: its value is in the event's data, so the event block's skill finds
    -- the row, and a delivery is recorded against it.
    batch        TEXT,
    task_id      TEXT,
    check_at     INTEGER,
    last_error   TEXT,
    created_at   INTEGER  NOT NULL,
    updated_at   INTEGER  NOT NULL,
    sent_at      INTEGER,
    delivered_at INTEGER
);

CREATE INDEX notifications_due ON notifications (not_before, id) WHERE state = 'queued';
CREATE INDEX notifications_waiting ON notifications (check_at) WHERE state IN ('sending', 'accepted', 'unsure');
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_batch ON notifications (batch) WHERE batch IS NOT NULL;
CREATE INDEX notifications_task ON notifications (task_id) WHERE task_id IS NOT NULL;

-- Messages handed to Kakao per day (KST), for the daily cap: alerts reserve their place with a conditional
-- update, so several senders together never pass the cap; trade notices are counted but never refused.
CREATE TABLE notification_days (
    day  TEXT   PRIMARY KEY,
    sent INTEGER NOT NULL DEFAULT 0
);

-- 키워드 알림: what a member watches for in new products (at most ten each, enforced by the store).
CREATE TABLE keywords (
    member_id  INTEGER NOT NULL REFERENCES members (id),
    -- As the member typed it (trimmed), shown back in the list.
    keyword    TEXT   NOT NULL,
    -- Lower-cased, compared with `products.search_text` like a search query.
    needle     TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, needle)
);

-- 찜: products a member saved.
CREATE TABLE favourites (
    member_id  INTEGER NOT NULL REFERENCES members (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, product_id)
);

CREATE INDEX favourites_product ON favourites (product_id);
