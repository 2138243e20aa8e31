-- 신고 (reports): any member reports a product or a member, with a reason. Reports wait in a queue for an
-- admin, who dismisses them, hides the product, or suspends the member. Enough open reports on a product
-- from different members (REPORTS_TO_HOLD) take it off the lists until an admin looks.
--
-- target: a product report names the product and its seller (member_id); a member report only the member.
-- status: open → dismissed | actioned (an admin hid the product or suspended the member). An admin's
-- decision resolves every open report on the same target at once.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id  INTEGER  NOT NULL REFERENCES members (id),
    product_id   INTEGER  REFERENCES products (id),
    member_id    INTEGER  NOT NULL REFERENCES members (id),
    reason       TEXT    NOT NULL CHECK (reason IN ('fraud', 'prohibited', 'misleading', 'abusive', 'spam')),
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    created_at   INTEGER  NOT NULL,
    resolved_at  INTEGER,
    -- The admin account that decided, by username (the audit log has the details).
    resolved_by  TEXT,
    CHECK (reporter_id <> member_id)
);

-- One open report per reporter and target (a second report of the same thing is the same report).
CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, member_id, COALESCE(product_id, 0))
    WHERE status = 'open';
-- The admin queue, oldest first, and the open reports of one target.
CREATE INDEX reports_by_status ON reports (status, id);
CREATE INDEX reports_open_by_target ON reports (member_id, product_id) WHERE status = 'open';

-- A held product is hidden (status 'hidden') by the market, not by its seller: its seller cannot show it
-- again, and releasing it restores the status it had (held_from).
-- held_by: 'reports' (REPORTS_TO_HOLD reached), 'admin' (hidden from a report), 'suspension' (its seller
-- was suspended; lifting the suspension releases it).
ALTER TABLE products ADD COLUMN held_at INTEGER;
ALTER TABLE products ADD COLUMN held_from TEXT CHECK (held_from IN ('on_sale', 'reserved', 'hidden'));
ALTER TABLE products ADD COLUMN held_by TEXT CHECK (held_by IN ('reports', 'admin', 'suspension'));

-- A suspended member keeps their account and their trades under way, but cannot act through the skills.
ALTER TABLE members ADD COLUMN suspended_at INTEGER;
