-- Orders bought through Kakao Pay, and every call made to Kakao Pay for them.
--
-- An order holds its product while it is 'pending' (the buyer is on Kakao's page), 'approving' (our
-- approve call is in flight), 'paid' or 'buyer_confirmed'; the partial unique index makes a second holder
-- impossible even if the product's own conditional update were bypassed. 'refund_pending' is written
-- *before* a refund is asked for and left only when Kakao Pay confirms it, so money and rows never
-- silently disagree.
CREATE TABLE orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Unguessable id used in the URLs Kakao Pay redirects the buyer's browser to.
    reference          TEXT    NOT NULL UNIQUE,
    -- The nonce of the payment link that created the order: one link, at most one order.
    link_nonce         TEXT    NOT NULL UNIQUE,
    product_id         INTEGER NOT NULL REFERENCES products (id),
    buyer_id           INTEGER NOT NULL REFERENCES members (id),
    seller_id          INTEGER NOT NULL REFERENCES members (id),
    item_name          TEXT    NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'approving', 'paid', 'buyer_confirmed',
                       'completed', 'refund_pending', 'refunded', 'abandoned')),
    -- Why an order was abandoned or refunded (a key, see orders::model::CloseReason).
    close_reason       TEXT,
    tid                TEXT,
    aid                TEXT,
    payment_method     TEXT,
    tracking_number    TEXT,
    hold_expires_at    INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    paid_at            INTEGER,
    shipped_at         INTEGER,
    buyer_confirmed_at INTEGER,
    completed_at       INTEGER,
    closed_at          INTEGER
);

CREATE UNIQUE INDEX orders_one_holder_per_product ON orders (product_id)
    WHERE status IN ('pending', 'approving', 'paid', 'buyer_confirmed');
CREATE INDEX orders_by_buyer ON orders (buyer_id, id);
CREATE INDEX orders_by_seller ON orders (seller_id, id);
-- The reconciler's work list.
CREATE INDEX orders_unsettled ON orders (status, updated_at)
    WHERE status IN ('pending', 'approving', 'refund_pending');

CREATE TABLE payment_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    call        TEXT    NOT NULL CHECK (call IN ('ready', 'approve', 'cancel', 'order')),
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'rejected', 'unavailable', 'ambiguous', 'invalid')),
    -- Kakao's status or error, never a secret or personal data.
    detail      TEXT    NOT NULL,
    elapsed_ms  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE INDEX payment_events_by_order ON payment_events (order_id, id);
