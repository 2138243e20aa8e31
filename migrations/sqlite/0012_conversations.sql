-- Conversation mode (`/skill/chat`): what a user is in the middle of, so a multi-step skill asked for
-- one answer at a time survives between calls and across instances. One row per Kakao user, short-lived:
-- a row past `expires_at` is treated as absent and overwritten by the next conversation.
CREATE TABLE conversations (
    user_key   TEXT    PRIMARY KEY,
    -- The block (blocks.rs key) whose skill runs once every parameter is in.
    block      TEXT    NOT NULL,
    -- JSON objects of strings: the clientExtra the skill started with, and the answers so far.
    extras     TEXT    NOT NULL,
    params     TEXT    NOT NULL,
    expires_at INTEGER  NOT NULL
);
