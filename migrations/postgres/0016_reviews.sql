-- 거래 후기 (reviews): after a completed trade each party may leave one review of the other — good or bad, and
-- what it was about (a tag: 시간 약속을 잘 지켜요, 친절해요, …). A review is written once per order and
-- reviewer, only by a party of a completed order, about the other party, never between members who
-- blocked one another.
CREATE TABLE reviews (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     BIGINT  NOT NULL REFERENCES orders (id),
    reviewer_id  BIGINT  NOT NULL REFERENCES members (id),
    reviewee_id  BIGINT  NOT NULL REFERENCES members (id),
    good         BOOLEAN NOT NULL,
    -- A tag's key (reviews::Tag), or empty.
    tag          TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    UNIQUE (order_id, reviewer_id),
    CHECK (reviewer_id <> reviewee_id)
);

-- A member's reviews: their count and share of good ones (profile, a product's seller line).
CREATE INDEX reviews_by_reviewee ON reviews (reviewee_id, good);

-- The review notice.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('order_paid', 'tracking_entered', 'tracking_changed',
    'purchase_confirmed', 'sale_confirmed', 'order_cancelled', 'refund_done', 'hold_expired',
    'auto_confirm_soon', 'auto_confirmed', 'keyword_match', 'keyword_digest', 'price_drop',
    'favourite_sold', 'favourite_back', 'offer_received', 'offer_accepted', 'offer_declined', 'review_received'));
