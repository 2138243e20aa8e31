-- 거래 후기 (reviews): after a completed trade each party may leave one review of the other — good or bad, and
-- what it was about (a tag: 시간 약속을 잘 지켜요, 친절해요, …). A review is written once per order and
-- reviewer, only by a party of a completed order, about the other party, never between members who
-- blocked one another.
CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    reviewer_id  INTEGER NOT NULL REFERENCES members (id),
    reviewee_id  INTEGER NOT NULL REFERENCES members (id),
    good         INTEGER NOT NULL,
    -- A tag's key (reviews::Tag), or empty.
    tag          TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (order_id, reviewer_id),
    CHECK (reviewer_id <> reviewee_id)
);

-- A member's reviews: their count and share of good ones (profile, a product's seller line).
CREATE INDEX reviews_by_reviewee ON reviews (reviewee_id, good);

-- The review notice: the notifications table is rebuilt with one more kind (see 0014).
CREATE TABLE notifications_next (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER  NOT NULL REFERENCES members (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('order_paid', 'tracking_entered', 'tracking_changed',
                 'purchase_confirmed', 'sale_confirmed', 'order_cancelled', 'refund_done', 'hold_expired',
                 'auto_confirm_soon', 'auto_confirmed', 'keyword_match', 'keyword_digest', 'price_drop',
                 'favourite_sold', 'favourite_back', 'offer_received', 'offer_accepted', 'offer_declined', 'review_received')),
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

INSERT INTO notifications_next SELECT * FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_next RENAME TO notifications;

CREATE INDEX notifications_due ON notifications (not_before, id) WHERE state = 'queued';
CREATE INDEX notifications_waiting ON notifications (check_at) WHERE state IN ('sending', 'accepted', 'unsure');
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_batch ON notifications (batch) WHERE batch IS NOT NULL;
CREATE INDEX notifications_task ON notifications (task_id) WHERE task_id IS NOT NULL;
