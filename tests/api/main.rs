//! One integration-test binary (faster to build than many). Each module is one area of behaviour.

mod helpers;

mod admin_api;
mod admin_auth;
mod cache;
mod catalogue;
mod chat;
mod deals;
mod docs;
mod emulator;
mod fake_event_api;
mod fake_kakaopay;
mod guard;
mod images;
mod kakao_limits;
mod kakao_payload;
mod kakaopay;
mod members;
mod metrics;
mod nginx;
mod notice_restart;
mod notice_sender;
mod notices;
mod orders;
mod pay_world;
mod payments;
mod products;
mod registration;
mod resilience;
mod server;
mod skill_log;
mod storage_faults;
mod store_contract;
mod trade_notices;
mod validation;
mod watch;
