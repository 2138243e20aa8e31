//! Development only: the KakaoTalk emulator (`/dev/chat`) and stand-ins of Kakao Pay and the Event API.
//!
//! A person with this repository and nothing else sees the bot at work: `cargo run` starts the server with
//! the emulator on (`DEV_EMULATOR`, on by default in development and refused in production), the stand-ins
//! fill in whichever Kakao service is not configured, and the page at `/dev/chat` plays Open Builder and
//! KakaoTalk in the browser. Nothing here is reachable in production: the routes are not mounted and the
//! stand-ins never start.

pub mod emulator;
pub mod standins;

pub use emulator::Emulator;
pub use standins::Standins;
