//! 중계나라: a KakaoTalk chatbot server for a second-hand market.
//!
//! KakaoTalk users buy and sell used goods by talking to a Kakao channel; Kakao's bot engine calls this
//! server's skills and shows what they answer. Buyers pay with Kakao Pay in their browser, operators use
//! the admin API, and hot deals are read from deal boards in the background.
//!
//! # Layout
//!
//! Dependencies point one way, from the top of this list down (`tests/architecture.rs` checks it):
//!
//! * [`router`]: every URL, grouped by caller, with the middleware each group gets.
//! * Faces, each speaking to someone: [`kakao`] (skills, for Kakao's bot engine), [`pages`] (buyers'
//!   browsers), [`admin`] (operators' REST API), [`ops`] (probes).
//! * [`state`]: `AppState`, the market's services and the infrastructure they run on.
//! * The market core: [`domain`] (user-entered values, parsed), [`members`], [`products`], [`orders`],
//!   [`notices`], [`notifications`], [`watch`], [`deals`], [`images`] — models, rules, stores and services; no
//!   HTTP.
//! * Infrastructure: [`config`], [`blocks`], [`deal_sources`], [`db`], [`clock`], [`cache`], [`telemetry`], [`metrics`],
//!   [`http_server`], [`jwt`], [`kakao_event`], [`kakaopay`], [`client_addr`], [`skill_log`], [`present`].
//!
//! Kakao's skill protocol itself (payload, builders held to Kakao's limits) is the `kakao_skill` crate in
//! `crates/kakao-skill`. `ARCHITECTURE.md` follows one skill call and one purchase through these modules
//! and says where each rule of the market lives.

// Every URL.
pub mod router;

// Faces.
pub mod admin;
pub mod dev;
pub mod kakao;
pub mod ops;
pub mod pages;

// The application state.
pub mod state;

// The market core.
pub mod blocking;
pub mod conversations;
pub mod deals;
pub mod domain;
pub mod images;
pub mod members;
pub mod notices;
pub mod notifications;
pub mod offers;
pub mod orders;
pub mod products;
pub mod reports;
pub mod reviews;
pub mod viewing;
pub mod watch;

// Infrastructure.
pub mod blocks;
pub mod cache;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod deal_sources;
pub mod http_server;
pub mod jwt;
pub mod kakao_event;
pub mod kakaopay;
pub mod metrics;
pub mod present;
pub mod skill_log;
pub mod telemetry;
