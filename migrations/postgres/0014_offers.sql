-- 가격 제안 (offers): a member offers a price on a product on sale; its seller accepts one (the buyer may
-- then pay that price: the payment link binds it) or declines it. A seller can turn offers off per product.
--
-- offers_off_at: when the seller turned offers off for the product; NULL while offers are welcome.
ALTER TABLE products ADD COLUMN offers_off_at BIGINT;

-- status: pending → accepted | declined (by the seller, or when another offer was accepted)
--         | withdrawn (the product was sold, deleted, or the offer replaced).
CREATE TABLE offers (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  BIGINT  NOT NULL REFERENCES products (id),
    buyer_id    BIGINT  NOT NULL REFERENCES members (id),
    -- Won; below the product's price when made.
    price       BIGINT  NOT NULL CHECK (price > 0),
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    created_at  BIGINT  NOT NULL,
    decided_at  BIGINT
);

-- One open offer per buyer and product (a new price replaces it), and one accepted offer per product: of
-- two acceptances at once, the second breaks this index and is told the product already has one.
CREATE UNIQUE INDEX offers_one_pending_per_buyer ON offers (product_id, buyer_id) WHERE status = 'pending';
CREATE UNIQUE INDEX offers_one_accepted_per_product ON offers (product_id) WHERE status = 'accepted';
CREATE INDEX offers_by_buyer ON offers (buyer_id, id);

-- Offer notices.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('order_paid', 'tracking_entered', 'tracking_changed',
    'purchase_confirmed', 'sale_confirmed', 'order_cancelled', 'refund_done', 'hold_expired',
    'auto_confirm_soon', 'auto_confirmed', 'keyword_match', 'keyword_digest', 'price_drop',
    'favourite_sold', 'favourite_back', 'offer_received', 'offer_accepted', 'offer_declined'));
