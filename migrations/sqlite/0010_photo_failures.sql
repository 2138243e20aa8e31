-- Why each photo of a set that was not stored failed. Photos download after the preview has answered,
-- so the seller learns which photo failed and why only later (when registering, or on the product's
-- detail); the reason must outlive the download task. A failed photo has no row in `photos` (it has no
-- keys or size), hence a table of its own, keyed by the photo's place in the seller's upload.
CREATE TABLE photo_failures (
    set_id   INTEGER NOT NULL REFERENCES photo_sets (id),
    -- The photo's place among those the seller sent, from 0 (shown as "1번째 사진").
    position INTEGER NOT NULL CHECK (position >= 0),
    reason   TEXT    NOT NULL CHECK (reason IN ('host_not_allowed', 'too_large', 'too_many_pixels',
             'too_much_memory', 'not_an_image', 'too_slow', 'download_failed', 'busy', 'storage')),
    -- What the seller was told, as written then (it names limits, such as the size allowed at the time).
    message  TEXT    NOT NULL,
    PRIMARY KEY (set_id, position)
);
