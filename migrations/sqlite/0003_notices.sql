-- Notices are announcements written by admins. The chat lists the visible ones ('main' first, then
-- 'published'; newest first within each) and shows one as a card: a 'text' notice as a textCard, an
-- 'image' notice as a basicCard, which cannot exist without its image (hence the first CHECK). The
-- optional link is one web-link button and needs both its label and its URL (the second CHECK).
-- Hidden and deleted notices keep their rows; only 'main' and 'published' are ever shown.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('text', 'image')),
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    image_url   TEXT,
    link_label  TEXT,
    link_url    TEXT,
    status      TEXT    NOT NULL DEFAULT 'published'
                CHECK (status IN ('main', 'published', 'hidden', 'deleted')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK ((kind = 'image') = (image_url IS NOT NULL)),
    CHECK ((link_label IS NULL) = (link_url IS NULL))
);

-- The listing order, over visible notices only. The rank expression must stay identical to the one in
-- the listing query's ORDER BY (src/notices/store.rs), or the planner cannot use this index.
CREATE INDEX notices_listing
    ON notices ((CASE status WHEN 'main' THEN 0 ELSE 1 END), created_at DESC, id DESC)
    WHERE status IN ('main', 'published');
