//! 중계나라: a KakaoTalk chatbot server for a second-hand market.
//!
//! See `ARCHITECTURE.md` for the map of modules and the path of one skill call through them.

pub mod admin;
pub mod blocks;
pub mod cache;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod deals;
pub mod domain;
pub mod http_server;
pub mod images;
pub mod jwt;
pub mod kakao;
pub mod kakaopay;
pub mod members;
pub mod metrics;
pub mod notices;
pub mod ops;
pub mod orders;
pub mod pages;
pub mod present;
pub mod products;
pub mod router;
pub mod skill_log;
pub mod state;
pub mod telemetry;
