-- 차단 (blocks): a member blocks another. Neither then sees the other's products, and neither can buy from,
-- offer to (or later review) the other. Blocks are private: nothing tells the blocked member.
CREATE TABLE member_blocks (
    blocker_id INTEGER NOT NULL REFERENCES members (id),
    blocked_id INTEGER NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);

-- Who blocked a member (the other direction of "between these two").
CREATE INDEX member_blocks_by_blocked ON member_blocks (blocked_id, blocker_id);
