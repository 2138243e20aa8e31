-- The skill request log: one row per skill call, for latency and outcome statistics per skill.
--
-- Written in batches by a background writer (skill_log), purged after SKILL_LOG_RETENTION_DAYS. It holds no
-- personal data: the user is a keyed hash of the Kakao botUserKey (never the key itself, so a copy of this
-- table cannot be joined to members.user_key), the block is Open Builder's block name (bot configuration,
-- capped), and no utterance, parameter or payload is ever stored. `outcome` is a key chosen by the skill
-- runtime (`ok`, `invalid`, `deadline`, …); it has no CHECK so that a new outcome can never make the
-- writer lose a batch.
CREATE TABLE skill_calls (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- When the answer was ready, Unix milliseconds (UTC).
    at_ms      BIGINT  NOT NULL,
    -- Truncated HMAC-SHA-256 of the botUserKey, hex.
    user_hash  TEXT    NOT NULL,
    -- The route template, e.g. /skill/products/detail (low cardinality).
    route      TEXT    NOT NULL,
    block      TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    latency_us BIGINT  NOT NULL CHECK (latency_us >= 0)
);

-- Range reads for the statistics and the retention purge.
CREATE INDEX skill_calls_by_time ON skill_calls (at_ms);
