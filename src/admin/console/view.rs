//! What every console page shares: the frame (who is signed in, the navigation, the CSRF token), the
//! result message of a change, and turning a template into a response.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::session::Operator;
use crate::admin::ApiError;
use crate::admin::accounts::Role;

/// The console's sections, in the navigation's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Members,
    Products,
    Orders,
    Reports,
    Notices,
    Deals,
    SkillCalls,
    Accounts,
}

impl Section {
    const ALL: [Section; 9] = [
        Self::Dashboard,
        Self::Members,
        Self::Products,
        Self::Orders,
        Self::Reports,
        Self::Notices,
        Self::Deals,
        Self::SkillCalls,
        Self::Accounts,
    ];

    fn path(self) -> &'static str {
        match self {
            Self::Dashboard => "/admin/ui",
            Self::Members => "/admin/ui/members",
            Self::Products => "/admin/ui/products",
            Self::Orders => "/admin/ui/orders",
            Self::Reports => "/admin/ui/reports",
            Self::Notices => "/admin/ui/notices",
            Self::Deals => "/admin/ui/deals",
            Self::SkillCalls => "/admin/ui/skill-calls",
            Self::Accounts => "/admin/ui/accounts",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Dashboard => "대시보드",
            Self::Members => "회원",
            Self::Products => "상품",
            Self::Orders => "주문",
            Self::Reports => "신고",
            Self::Notices => "공지",
            Self::Deals => "핫딜 게시판",
            Self::SkillCalls => "스킬 호출",
            Self::Accounts => "관리자 계정",
        }
    }
}

/// One link of the navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame of a signed-in page.
pub struct Chrome {
    pub username: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub flash: Option<Flash>,
}

impl Chrome {
    pub fn new(operator: &Operator, section: Section, flash: Option<Flash>) -> Self {
        let is_admin = operator.is_admin();
        let nav = Section::ALL
            .into_iter()
            // Accounts are an admin's business; a viewer is not shown the link.
            .filter(|s| is_admin || *s != Section::Accounts)
            .map(|s| NavLink {
                href: s.path(),
                label: s.label(),
                current: s == section,
            })
            .collect();
        Self {
            username: operator.claims.username.clone(),
            role: operator.claims.role.as_str(),
            role_label: match operator.claims.role {
                Role::Admin => "관리자",
                Role::Viewer => "보기 전용",
            },
            is_admin,
            csrf: operator.csrf.clone(),
            nav,
            flash,
        }
    }
}

/// The outcome of a change, shown at the top of the page it re-renders. An error keeps its HTTP status,
/// which the response carries too.
#[derive(Clone, Debug)]
pub struct Flash {
    pub ok: bool,
    pub status: u16,
    pub message: String,
    /// Per-field refusals (`field: why`), for a form the API refused.
    pub fields: Vec<String>,
}

impl Flash {
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            status: 200,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn refused(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            ok: false,
            status: status.as_u16(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn class(&self) -> &'static str {
        if self.ok { "ok" } else { "error" }
    }
}

impl From<ApiError> for Flash {
    fn from(error: ApiError) -> Self {
        if let ApiError::Internal(cause) = &error {
            tracing::error!(%cause, "console request failed");
        }
        let problem = error.problem();
        let message = match error {
            ApiError::Forbidden(_) => "보기 전용 계정은 바꿀 수 없습니다.".to_owned(),
            ApiError::Internal(_) => "서버 오류로 처리하지 못했습니다. 잠시 후 다시 해 주세요.".to_owned(),
            _ => format!("처리하지 못했습니다: {}", problem.detail),
        };
        Self {
            ok: false,
            status: problem.status,
            message,
            fields: problem
                .errors
                .unwrap_or_default()
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
        }
    }
}

/// A rendered page, with the status its flash calls for (200 without one) and the console's headers.
pub fn page(template: &impl Template, flash: Option<&Flash>) -> Response {
    let status = flash
        .and_then(|f| StatusCode::from_u16(f.status).ok())
        .unwrap_or(StatusCode::OK);
    html(status, template)
}

/// `template` rendered with `status`.
pub fn html(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(error) => {
            tracing::error!(%error, "console template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page that could not be shown at all (a missing record, the database down): the frame and the message.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub chrome: Chrome,
}

/// [`ProblemPage`] for `error`.
pub fn problem(operator: &Operator, section: Section, error: ApiError) -> Response {
    let flash = Flash::from(error);
    let template = ProblemPage {
        chrome: Chrome::new(operator, section, Some(flash.clone())),
    };
    page(&template, Some(&flash))
}

/// Headers on every console response: no caching of operators' data, no framing, scripts and styles only
/// from the console itself.
pub async fn headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ];
    for (name, value) in set {
        if !(name == header::CACHE_CONTROL && headers.contains_key(&name)) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// A Unix-millisecond time in KST, `-` when absent.
pub fn at(unix_ms: Option<i64>) -> String {
    unix_ms.map_or_else(|| "-".to_owned(), crate::present::datetime_kst)
}

/// `key=value&…&` of the non-empty `pairs`, percent-encoded, for links that keep a list's filters (the
/// page number is appended).
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| {
            let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            format!("{key}={value}&")
        })
        .collect()
}

/// How many pages `total` items fill at `per_page` a page.
pub fn pages(total: i64, per_page: i64) -> i64 {
    (total + per_page - 1) / per_page.max(1)
}
