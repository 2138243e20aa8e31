//! `/admin/ui/reports`: the report queue (open reports, oldest first) and the decision on one — dismiss,
//! hide the product, suspend the member — through the admin API's own handlers.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::reports::{self as api, DecisionRequest, ReportDto, ReportFilter};
use crate::admin::{AdminState, ApiJson, ApiPath, ApiQuery};
use crate::products::holds::Hold;
use crate::reports::Decision;

struct ReportRow {
    id: i64,
    open: bool,
    status: String,
    reason: String,
    /// The product's name, or the member's for a member report.
    target: String,
    /// Where the target's page is.
    target_href: String,
    member_id: i64,
    member: String,
    member_suspended: bool,
    reporter: String,
    open_on_target: i64,
    /// What the market does with the product now ("신고로 보류", "관리자가 숨김", …), if anything.
    held: String,
    product: bool,
    created: String,
    resolved: String,
}

impl From<&ReportDto> for ReportRow {
    fn from(r: &ReportDto) -> Self {
        let (target, target_href) = match (r.product_id, &r.product_name) {
            (Some(id), Some(name)) => (name.clone(), format!("/admin/ui/products/{id}")),
            _ => (
                format!("{} (회원)", r.member_name),
                format!("/admin/ui/members/{}", r.member_id),
            ),
        };
        let held = match r.product_held_by.as_deref().and_then(Hold::parse) {
            Some(Hold::Reports) => "신고로 목록에서 내림",
            Some(Hold::Admin) => "관리자가 숨김",
            Some(Hold::Suspension) => "판매자 이용 제한",
            None => "",
        };
        Self {
            id: r.id,
            open: r.status == "open",
            status: r.status.clone(),
            reason: r.reason_label.clone(),
            target,
            target_href,
            member_id: r.member_id,
            member: r.member_name.clone(),
            member_suspended: r.member_suspended,
            reporter: r.reporter_name.clone(),
            open_on_target: r.open_on_target,
            held: held.to_owned(),
            product: r.product_id.is_some(),
            created: at(Some(r.created_at)),
            resolved: match &r.resolved_by {
                Some(by) => format!("{} · {by}", at(r.resolved_at)),
                None => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<ReportRow>,
    /// The status filter: `open`, `dismissed`, `actioned` or `all`.
    status: String,
    query: String,
    total: i64,
    page: i64,
    pages: i64,
}

/// `GET /admin/ui/reports?status=&page=`.
pub async fn list(
    State(state): State<AdminState>,
    operator: Operator,
    ApiQuery(filter): ApiQuery<ReportFilter>,
) -> Response {
    show(&state, &operator, filter, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
}

/// `POST /admin/ui/reports/{id}/decision`: the API's decision; the queue is shown again with the outcome.
pub async fn decide(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let decision = Decision::parse(&form.decision);
    let request = DecisionRequest {
        decision: form.decision,
    };
    let decided = operator
        .as_admin(|admin| api::decide(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    let flash = match (decided, decision) {
        (Ok(_), Some(Decision::Dismiss)) => Flash::ok(format!(
            "신고 #{id}을(를) 기각했습니다. 같은 대상의 신고도 함께 닫았습니다."
        )),
        (Ok(_), Some(Decision::HideProduct)) => Flash::ok(format!("신고 #{id}의 상품을 숨겼습니다.")),
        (Ok(report), _) => Flash::ok(format!("{}님의 이용을 제한했습니다.", report.member_name)),
        (Err(error), _) => Flash::from(error),
    };
    let open = ReportFilter {
        status: None,
        target: None,
        page: None,
        per_page: None,
    };
    show(&state, &operator, open, Some(flash)).await
}

async fn show(
    state: &AdminState,
    operator: &Operator,
    mut filter: ReportFilter,
    flash: Option<Flash>,
) -> Response {
    filter.status = filter.status.filter(|s| !s.is_empty());
    filter.target = filter.target.filter(|t| !t.is_empty());
    let status = filter.status.clone().unwrap_or_else(|| "open".to_owned());
    match api::list(State(state.clone()), operator.viewer(), ApiQuery(filter)).await {
        Ok(Json(found)) => {
            let page = ReportsPage {
                chrome: Chrome::new(operator, Section::Reports, flash.clone()),
                rows: found.items.iter().map(ReportRow::from).collect(),
                query: view::query(&[("status", &status)]),
                status,
                total: found.total,
                page: found.page,
                pages: view::pages(found.total, found.per_page),
            };
            view::page(&page, flash.as_ref())
        }
        Err(error) => view::problem(operator, Section::Reports, error),
    }
}
