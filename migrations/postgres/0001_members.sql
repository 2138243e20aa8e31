-- Members are Kakao users who joined. Identity is the botUserKey (userRequest.user.id).
-- A withdrawn member keeps its row (deleted_at set, phone erased) so past trades still name a party;
-- the partial unique indexes make name and user key unique among active members only, so a later
-- re-join works and two simultaneous joins with one name cannot both succeed.
CREATE TABLE members (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_key       TEXT    NOT NULL,
    plusfriend_key TEXT,
    name           TEXT    NOT NULL,
    phone          TEXT,
    grade          TEXT    NOT NULL DEFAULT 'bronze'
                   CHECK (grade IN ('bronze', 'silver', 'platinum', 'diamond')),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    deleted_at     BIGINT
);

CREATE UNIQUE INDEX members_active_user_key ON members (user_key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX members_active_name ON members (name) WHERE deleted_at IS NULL;
