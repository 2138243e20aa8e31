-- The won a Kakao Pay call named or reported, so admins see each call's amount without its detail text
-- (which holds Kakao Pay's ids). NULL when neither is known, as for rows written before this column.
ALTER TABLE payment_events ADD COLUMN amount INTEGER;
