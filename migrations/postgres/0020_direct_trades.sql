-- Trades made outside Kakao Pay (flow A: the seller reserves, the two meet, the seller marks it sold) can be
-- reviewed too, when the seller names the buyer on reserving — one of the members who saved the product or
-- offered on it. Marking the product sold then records the trade, and each party may review the other once.
--
-- reserved_for: the member the seller named while the product is reserved; cleared when it leaves reserved.
ALTER TABLE products ADD COLUMN reserved_for BIGINT REFERENCES members (id);

CREATE TABLE direct_trades (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   BIGINT  NOT NULL REFERENCES products (id),
    seller_id    BIGINT  NOT NULL REFERENCES members (id),
    buyer_id     BIGINT  NOT NULL REFERENCES members (id),
    -- A product's name when it was sold (the product may be edited or deleted later).
    item_name    TEXT    NOT NULL,
    completed_at BIGINT  NOT NULL,
    CHECK (seller_id <> buyer_id)
);

-- A member's trades (the reviews they may still write).
CREATE INDEX direct_trades_by_buyer ON direct_trades (buyer_id, id);
CREATE INDEX direct_trades_by_seller ON direct_trades (seller_id, id);

-- A review is of an order or of a direct trade, exactly one.
ALTER TABLE reviews ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE reviews ADD COLUMN trade_id BIGINT REFERENCES direct_trades (id);
ALTER TABLE reviews ADD CONSTRAINT reviews_trade_id_reviewer_id_key UNIQUE (trade_id, reviewer_id);
ALTER TABLE reviews ADD CONSTRAINT reviews_one_trade CHECK ((order_id IS NULL) <> (trade_id IS NULL));
