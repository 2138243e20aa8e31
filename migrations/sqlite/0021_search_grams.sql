-- Search without reading every product: each product's search text (lower-cased name and description) is
-- cut into its two-character pieces ("grams": 캠핑의자 → 캠핑, 핑의, 의자), one row per distinct gram,
-- kept in the order of the lists. A query of two characters or more is a substring only of texts holding
-- each of its grams, so a search walks one gram's rows newest first and checks each product's text, and
-- stops at the page's end: two syllables (의자) are enough, where a trigram index needs three.
--
-- The rows are kept by triggers, so every way a product is written (the application, an import, a
-- seeded benchmark) keeps them right: a new product adds its grams; a bump (listed_at) or a changed text
-- moves them; a deleted product takes them along. A gram row whose listed_at no longer matches its
-- product is never shown (the search compares them), so a missed update could hide, never wrongly show.
CREATE TABLE product_grams (
    gram TEXT NOT NULL,
    listed_at INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    PRIMARY KEY (gram, listed_at, product_id)
) WITHOUT ROWID;

-- Character positions 1..2048 (a search text holds at most 431: a 30-character name, a newline and a
-- 400-character description). SQLite triggers cannot use a recursive query, so they join this instead.
CREATE TABLE search_positions (i INTEGER PRIMARY KEY);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2048)
INSERT INTO search_positions (i) SELECT i FROM n;

INSERT OR IGNORE INTO product_grams (gram, listed_at, product_id)
SELECT substr(p.search_text, n.i, 2), p.listed_at, p.id
FROM products p JOIN search_positions n ON n.i < length(p.search_text);

CREATE TRIGGER product_grams_insert AFTER INSERT ON products
BEGIN
    INSERT OR IGNORE INTO product_grams (gram, listed_at, product_id)
    SELECT substr(NEW.search_text, n.i, 2), NEW.listed_at, NEW.id
    FROM search_positions n WHERE n.i < length(NEW.search_text);
END;

CREATE TRIGGER product_grams_update AFTER UPDATE OF listed_at, search_text ON products
WHEN NEW.listed_at <> OLD.listed_at OR NEW.search_text <> OLD.search_text
BEGIN
    DELETE FROM product_grams
    WHERE listed_at = OLD.listed_at AND product_id = OLD.id
      AND gram IN (SELECT substr(OLD.search_text, n.i, 2) FROM search_positions n WHERE n.i < length(OLD.search_text));
    INSERT OR IGNORE INTO product_grams (gram, listed_at, product_id)
    SELECT substr(NEW.search_text, n.i, 2), NEW.listed_at, NEW.id
    FROM search_positions n WHERE n.i < length(NEW.search_text);
END;

CREATE TRIGGER product_grams_delete AFTER DELETE ON products
BEGIN
    DELETE FROM product_grams
    WHERE listed_at = OLD.listed_at AND product_id = OLD.id
      AND gram IN (SELECT substr(OLD.search_text, n.i, 2) FROM search_positions n WHERE n.i < length(OLD.search_text));
END;
