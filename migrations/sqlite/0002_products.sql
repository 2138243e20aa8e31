-- Products, their photos, and registration drafts.
--
-- Photos are downloaded after the skill has answered, so they are grouped in a photo set with a state;
-- a draft and then its product point at the set, and whichever finishes first (the download or the
-- registration) never has to wait for or update the other.
CREATE TABLE photo_sets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES members (id),
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ready', 'failed')),
    requested   INTEGER NOT NULL,
    failure     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE photos (
    set_id       INTEGER NOT NULL REFERENCES photo_sets (id),
    position     INTEGER NOT NULL,
    original_key TEXT    NOT NULL,
    thumb_key    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    PRIMARY KEY (set_id, position)
);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id     INTEGER NOT NULL REFERENCES members (id),
    name          TEXT    NOT NULL,
    price         INTEGER NOT NULL CHECK (price >= 0),
    description   TEXT    NOT NULL,
    category      TEXT    NOT NULL CHECK (category IN ('fashion', 'appliances', 'furniture', 'beauty',
                  'tickets', 'digital', 'books', 'hobby', 'sports', 'etc')),
    location      TEXT    NOT NULL,
    open_chat_url TEXT    NOT NULL,
    -- Lower-cased name and description, so search is one plain substring test per row.
    search_text   TEXT    NOT NULL,
    photo_set_id  INTEGER REFERENCES photo_sets (id),
    status        TEXT    NOT NULL DEFAULT 'on_sale' CHECK (status IN ('on_sale', 'reserved', 'hidden',
                  'pending_payment', 'awaiting_completion', 'sold', 'deleted')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Browse lists walk listed products newest first (ids increase with time), per category too.
CREATE INDEX products_listed ON products (id) WHERE status IN ('on_sale', 'reserved');
CREATE INDEX products_listed_by_category ON products (category, id) WHERE status IN ('on_sale', 'reserved');
CREATE INDEX products_by_seller ON products (seller_id, status, id);

CREATE TABLE product_drafts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id     INTEGER NOT NULL REFERENCES members (id),
    name          TEXT    NOT NULL,
    price         INTEGER NOT NULL,
    description   TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    location      TEXT    NOT NULL,
    open_chat_url TEXT    NOT NULL,
    photo_set_id  INTEGER REFERENCES photo_sets (id),
    -- Set once, by the registration that consumed the draft: a second tap finds it taken.
    product_id    INTEGER REFERENCES products (id),
    created_at    INTEGER NOT NULL
);

CREATE INDEX product_drafts_by_member ON product_drafts (member_id, id);
