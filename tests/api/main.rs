//! One integration-test binary (faster to build than many). Each module is one area of behaviour.

mod helpers;

mod cache;
mod catalogue;
mod docs;
mod fake_kakaopay;
mod guard;
mod images;
mod kakao_limits;
mod kakao_payload;
mod kakaopay;
mod members;
mod notices;
mod products;
mod registration;
mod resilience;
mod server;
mod store_contract;
mod validation;
