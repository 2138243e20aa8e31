-- 끌어올리기 (bump): the seller moves a product on sale back to the top of the lists, at most once per
-- interval. Lists are ordered by listed_at (when the product was registered or last bumped), newest first;
-- the id breaks ties, so (listed_at, id) is the cursor of a page.
--
-- listed_at: Unix milliseconds; set to created_at on insert and to the time of each bump.
ALTER TABLE products ADD COLUMN listed_at INTEGER NOT NULL DEFAULT 0;
UPDATE products SET listed_at = created_at;

-- The public lists walk these newest first; the predicate is repeated word for word by the list queries.
DROP INDEX products_listed;
DROP INDEX products_listed_by_category;
CREATE INDEX products_listed ON products (listed_at, id) WHERE status IN ('on_sale', 'reserved');
CREATE INDEX products_listed_by_category ON products (category, listed_at, id) WHERE status IN ('on_sale', 'reserved');
