//! The browser face: the small pages a buyer's browser sees around Kakao Pay (the payment link and Kakao
//! Pay's three redirects), and product images from the local store.

pub mod images;
pub mod pay;
pub mod pay_page;
