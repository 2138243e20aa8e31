-- Trades made outside Kakao Pay (flow A: the seller reserves, the two meet, the seller marks it sold) can be
-- reviewed too, when the seller names the buyer on reserving — one of the members who saved the product or
-- offered on it. Marking the product sold then records the trade, and each party may review the other once.
--
-- reserved_for: the member the seller named while the product is reserved; cleared when it leaves reserved.
ALTER TABLE products ADD COLUMN reserved_for INTEGER REFERENCES members (id);

CREATE TABLE direct_trades (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    seller_id    INTEGER NOT NULL REFERENCES members (id),
    buyer_id     INTEGER NOT NULL REFERENCES members (id),
    -- A product's name when it was sold (the product may be edited or deleted later).
    item_name    TEXT    NOT NULL,
    completed_at INTEGER NOT NULL,
    CHECK (seller_id <> buyer_id)
);

-- A member's trades (the reviews they may still write).
CREATE INDEX direct_trades_by_buyer ON direct_trades (buyer_id, id);
CREATE INDEX direct_trades_by_seller ON direct_trades (seller_id, id);

-- A review is of an order or of a direct trade, exactly one. SQLite cannot make a column nullable, so the
-- reviews table is rebuilt (same columns in the same order, one more, same index).
CREATE TABLE reviews_next (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER REFERENCES orders (id),
    reviewer_id  INTEGER NOT NULL REFERENCES members (id),
    reviewee_id  INTEGER NOT NULL REFERENCES members (id),
    good         INTEGER NOT NULL,
    tag          TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    comment      TEXT    NOT NULL DEFAULT '',
    trade_id     INTEGER REFERENCES direct_trades (id),
    UNIQUE (order_id, reviewer_id),
    UNIQUE (trade_id, reviewer_id),
    CHECK (reviewer_id <> reviewee_id),
    CHECK ((order_id IS NULL) <> (trade_id IS NULL))
);
INSERT INTO reviews_next (id, order_id, reviewer_id, reviewee_id, good, tag, created_at, comment)
    SELECT id, order_id, reviewer_id, reviewee_id, good, tag, created_at, comment FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_next RENAME TO reviews;
CREATE INDEX reviews_by_reviewee ON reviews (reviewee_id, good);
