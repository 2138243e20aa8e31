//! The skill catalogue in `skills/` cannot drift from the code: every example payload is posted and must
//! get a valid answer, and every skill route in the source is catalogued.
