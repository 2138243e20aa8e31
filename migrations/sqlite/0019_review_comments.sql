-- A review's short optional text (거래 후기 한마디), added once after the review: empty until then, and never
-- changed afterwards (the update that adds it requires it empty).
ALTER TABLE reviews ADD COLUMN comment TEXT NOT NULL DEFAULT '';
