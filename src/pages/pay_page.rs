//! The small HTML pages a buyer's browser sees around Kakao Pay (the payment link and Kakao's redirects).
//! They are plain, mobile-sized, in Korean, and say what happened to the money.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::orders::model::CloseReason;
pub use crate::orders::outcome::PayOutcome;
use crate::present::{html_escape, won};

impl PayOutcome {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::LinkExpired => StatusCode::GONE,
            Self::LinkInvalid => StatusCode::BAD_REQUEST,
            Self::LinkUsed | Self::Unavailable | Self::PriceChanged => StatusCode::CONFLICT,
            Self::NotMember => StatusCode::FORBIDDEN,
            Self::PayUnavailable | Self::PaymentsOff => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Checking => StatusCode::ACCEPTED,
            Self::NotApproved
            | Self::StillOpen
            | Self::Paid { .. }
            | Self::Refunding { .. }
            | Self::Refunded { .. }
            | Self::Abandoned { .. }
            | Self::ClosedWhileChecking => StatusCode::OK,
        }
    }

    /// Title and message.
    fn text(&self) -> (&'static str, String) {
        const BACK: &str = "챗봇으로 돌아가 상품을 다시 열어 주세요.";
        match self {
            Self::LinkExpired => ("결제 링크가 만료되었어요", format!("보안을 위해 결제 링크는 잠시만 쓸 수 있어요. {BACK}")),
            Self::LinkInvalid => ("올바르지 않은 결제 링크예요", format!("링크가 잘렸거나 바뀌었어요. {BACK}")),
            Self::LinkUsed => ("이미 사용한 결제 링크예요", format!("결제 링크는 한 번만 쓸 수 있어요. {BACK}")),
            Self::Unavailable => (
                "지금은 구매할 수 없는 상품이에요",
                "다른 분이 결제하고 있거나 판매가 끝났어요. 결제는 이루어지지 않았어요.".into(),
            ),
            Self::PriceChanged => ("가격이 바뀌었어요", format!("결제는 이루어지지 않았어요. {BACK}")),
            Self::NotMember => ("회원만 구매할 수 있어요", "챗봇에서 회원가입 후 다시 시도해 주세요.".into()),
            Self::PayUnavailable => (
                "카카오페이에 연결하지 못했어요",
                "결제는 이루어지지 않았어요. 잠시 후 다시 시도해 주세요.".into(),
            ),
            Self::PaymentsOff => ("지금은 카카오페이 결제를 쓸 수 없어요", "판매자와 오픈채팅으로 거래해 주세요.".into()),
            Self::NotFound => ("주문을 찾을 수 없어요", BACK.into()),
            Self::NotApproved => (
                "결제가 승인되지 않았어요",
                "결제는 이루어지지 않았어요. 카카오페이 화면에서 다시 시도하거나 챗봇에서 다시 구매해 주세요.".into(),
            ),
            Self::Checking => (
                "결제 결과를 확인하고 있어요",
                "잠시 후 챗봇의 '구매 내역'에서 결과를 확인해 주세요. 결제와 주문 기록은 항상 맞춰져요.".into(),
            ),
            Self::StillOpen => ("결제가 아직 진행 중이에요", "카카오페이 화면에서 결제를 마치거나 취소해 주세요.".into()),
            Self::Paid { item, amount } => (
                "결제가 완료되었어요",
                format!("{item} · {}. 판매자가 운송장을 입력하면 챗봇의 '구매 내역'에서 볼 수 있어요.", won(*amount)),
            ),
            Self::Refunding { item, reason } => (
                "환불을 진행하고 있어요",
                format!("{item}: {}. 결제한 금액은 전액 환불돼요.", reason_text(*reason)),
            ),
            Self::Refunded { item, reason } => (
                "결제가 취소되고 환불되었어요",
                format!("{item}: {}. 결제한 금액은 전액 환불되었어요.", reason_text(*reason)),
            ),
            Self::Abandoned { reason } => (
                "결제가 취소되었어요",
                format!("{}. 결제는 이루어지지 않았어요.", reason_text(*reason)),
            ),
            Self::ClosedWhileChecking => (
                "결제 시간이 지나 주문이 취소되었어요",
                "카카오페이에서 결제가 뒤늦게 완료되면 결제한 금액은 전액 환불돼요. \
                 챗봇의 '구매 내역'에서 확인할 수 있어요."
                    .into(),
            ),
        }
    }

    pub fn html(&self) -> String {
        let (title, message) = self.text();
        format!(
            "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>body{{font-family:sans-serif;margin:2rem auto;max-width:28rem;\
             padding:0 1rem;line-height:1.6;color:#222}}h1{{font-size:1.3rem}}</style></head>\
             <body><h1>{title}</h1><p>{}</p><p>중계나라</p></body></html>",
            html_escape(&message)
        )
    }
}

impl IntoResponse for PayOutcome {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Html(self.html())).into_response();
        // Payment pages are about one person's money: never cached by a proxy or the browser.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        response
    }
}

fn reason_text(reason: Option<CloseReason>) -> &'static str {
    reason.map_or("주문이 취소되었어요", CloseReason::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seller_text_is_escaped() {
        let page = PayOutcome::Paid {
            item: "<script>alert(1)</script>".into(),
            amount: 1000,
        };
        let html = page.html();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
