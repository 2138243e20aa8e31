-- Search without reading every product: each product's search text (lower-cased name and description) is
-- cut into its two-character pieces ("grams": 캠핑의자 → 캠핑, 핑의, 의자), one row per distinct gram,
-- kept in the order of the lists. A query of two characters or more is a substring only of texts holding
-- each of its grams, so a search walks one gram's rows newest first and checks each product's text, and
-- stops at the page's end: two syllables (의자) are enough, where a trigram index needs three.
--
-- The rows are kept by a trigger, so every way a product is written (the application, an import, a
-- seeded benchmark) keeps them right: a new product adds its grams; a bump (listed_at) or a changed text
-- moves them; a deleted product takes them along. A gram row whose listed_at no longer matches its
-- product is never shown (the search compares them), so a missed update could hide, never wrongly show.
CREATE TABLE product_grams (
    gram TEXT NOT NULL,
    listed_at BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    PRIMARY KEY (gram, listed_at, product_id)
);

-- The distinct two-character pieces of a text, counted in characters.
CREATE FUNCTION search_grams(text) RETURNS SETOF text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT substr($1, i, 2) FROM generate_series(1, length($1) - 1) AS i
$$;

INSERT INTO product_grams (gram, listed_at, product_id)
SELECT g, p.listed_at, p.id FROM products p, search_grams(p.search_text) AS g;

CREATE FUNCTION product_grams_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.listed_at = OLD.listed_at AND NEW.search_text = OLD.search_text THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM product_grams
        WHERE listed_at = OLD.listed_at AND product_id = OLD.id
          AND gram IN (SELECT search_grams(OLD.search_text));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO product_grams (gram, listed_at, product_id)
        SELECT g, NEW.listed_at, NEW.id FROM search_grams(NEW.search_text) AS g
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_grams_sync AFTER INSERT OR DELETE OR UPDATE OF listed_at, search_text ON products
FOR EACH ROW EXECUTE FUNCTION product_grams_sync();
