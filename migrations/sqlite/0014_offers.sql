-- 가격 제안 (offers): a member offers a price on a product on sale; its seller accepts one (the buyer may
-- then pay that price: the payment link binds it) or declines it. A seller can turn offers off per product.
--
-- offers_off_at: when the seller turned offers off for the product; NULL while offers are welcome.
ALTER TABLE products ADD COLUMN offers_off_at INTEGER;

-- status: pending → accepted | declined (by the seller, or when another offer was accepted)
--         | withdrawn (the product was sold, deleted, or the offer replaced).
CREATE TABLE offers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    buyer_id    INTEGER NOT NULL REFERENCES members (id),
    -- Won; below the product's price when made.
    price       INTEGER NOT NULL CHECK (price > 0),
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER
);

-- One open offer per buyer and product (a new price replaces it), and one accepted offer per product: of
-- two acceptances at once, the second breaks this index and is told the product already has one.
CREATE UNIQUE INDEX offers_one_pending_per_buyer ON offers (product_id, buyer_id) WHERE status = 'pending';
CREATE UNIQUE INDEX offers_one_accepted_per_product ON offers (product_id) WHERE status = 'accepted';
CREATE INDEX offers_by_buyer ON offers (buyer_id, id);

-- Offer notices: SQLite cannot change a CHECK constraint, so the notifications table is rebuilt with the
-- three new kinds (same columns in the same order, same indexes).
CREATE TABLE notifications_next (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER  NOT NULL REFERENCES members (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('order_paid', 'tracking_entered', 'tracking_changed',
                 'purchase_confirmed', 'sale_confirmed', 'order_cancelled', 'refund_done', 'hold_expired',
                 'auto_confirm_soon', 'auto_confirmed', 'keyword_match', 'keyword_digest', 'price_drop',
                 'favourite_sold', 'favourite_back', 'offer_received', 'offer_accepted', 'offer_declined')),
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
