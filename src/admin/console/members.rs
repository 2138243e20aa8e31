//! `/admin/ui/members`: members by name, grade and status; one member's grade and deactivation.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::members::{self as api, GradeRequest, MemberDto, MemberFilter};
use crate::admin::{AdminState, ApiJson, ApiPath, ApiQuery};
use crate::members::Grade;

const GRADES: [Grade; 4] = [Grade::Bronze, Grade::Silver, Grade::Platinum, Grade::Diamond];

struct MemberRow {
    id: i64,
    name: String,
    phone: String,
    grade: String,
    grade_label: String,
    status: String,
    joined: String,
    withdrawn: String,
    /// Since when the member is suspended, or empty.
    suspended: String,
}

impl From<&MemberDto> for MemberRow {
    fn from(m: &MemberDto) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            phone: m.phone.clone().unwrap_or_else(|| "-".to_owned()),
            grade: m.grade.clone(),
            grade_label: m.grade_label.clone(),
            status: m.status.clone(),
            joined: at(Some(m.joined_at)),
            withdrawn: at(m.withdrawn_at),
            suspended: m.suspended_at.map(|t| at(Some(t))).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    rows: Vec<MemberRow>,
    name: String,
    /// The filters, for the pager's links.
    query: String,
    total: i64,
    page: i64,
    pages: i64,
}

/// `GET /admin/ui/members?name=&page=`.
pub async fn list(
    State(state): State<AdminState>,
    operator: Operator,
    ApiQuery(mut filter): ApiQuery<MemberFilter>,
) -> Response {
    filter.name = filter.name.filter(|n| !n.trim().is_empty());
    filter.grade = filter.grade.filter(|g| !g.is_empty());
    filter.status = filter.status.filter(|s| !s.is_empty());
    let name = filter.name.clone().unwrap_or_default();
    match api::list(State(state), operator.viewer(), ApiQuery(filter)).await {
        Ok(Json(found)) => {
            let page = MembersPage {
                chrome: Chrome::new(&operator, Section::Members, None),
                rows: found.items.iter().map(MemberRow::from).collect(),
                query: view::query(&[("name", &name)]),
                name,
                total: found.total,
                page: found.page,
                pages: view::pages(found.total, found.per_page),
            };
            view::page(&page, None)
        }
        Err(error) => view::problem(&operator, Section::Members, error),
    }
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    chrome: Chrome,
    member: MemberRow,
    grades: Vec<(&'static str, &'static str, bool)>,
    active: bool,
}

/// `GET /admin/ui/members/{id}`.
pub async fn detail(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    show(&state, &operator, id, None).await
}

#[derive(Deserialize)]
pub struct GradeForm {
    grade: String,
}

/// `POST /admin/ui/members/{id}/grade`.
pub async fn set_grade(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<GradeForm>,
) -> Response {
    let request = GradeRequest { grade: form.grade };
    let changed = operator
        .as_admin(|admin| api::set_grade(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    let flash = match changed {
        Ok(member) => Flash::ok(format!("등급을 {}(으)로 바꿨습니다.", member.grade_label)),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

/// `POST /admin/ui/members/{id}/unsuspend`: lifts the suspension, as the API does.
pub async fn unsuspend(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let lifted = operator
        .as_admin(|admin| api::unsuspend(State(state.clone()), admin, ApiPath(id)))
        .await;
    let flash = match lifted {
        Ok(_) => Flash::ok("이용 제한을 풀었습니다. 제한으로 내린 상품이 다시 목록에 보입니다."),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

/// `POST /admin/ui/members/{id}/deactivate`: withdraws the member, as the API does.
pub async fn deactivate(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let withdrawn = operator
        .as_admin(|admin| api::deactivate(State(state.clone()), admin, ApiPath(id)))
        .await;
    let flash = match withdrawn {
        Ok(_) => Flash::ok("회원을 탈퇴 처리했습니다."),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

async fn show(state: &AdminState, operator: &Operator, id: i64, flash: Option<Flash>) -> Response {
    let member = match api::detail(State(state.clone()), operator.viewer(), ApiPath(id)).await {
        Ok(Json(member)) => member,
        Err(error) => return view::problem(operator, Section::Members, error),
    };
    let page = MemberPage {
        chrome: Chrome::new(operator, Section::Members, flash.clone()),
        grades: GRADES
            .iter()
            .map(|g| (g.as_str(), g.label(), g.as_str() == member.grade))
            .collect(),
        active: member.status == "active",
        member: MemberRow::from(&member),
    };
    view::page(&page, flash.as_ref())
}
