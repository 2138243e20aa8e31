//! `/admin/ui/notices`: the notices, an editor with a live preview drawn the way KakaoTalk shows the
//! card, and pinning, publishing and hiding.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::notices::{self as api, NoticeDto, NoticeFilter, NoticeRequest, NoticeStatusRequest};
use crate::admin::{AdminState, ApiError, ApiJson, ApiPath, ApiQuery};
use crate::notices::NoticeStatus;

struct NoticeRow {
    id: i64,
    kind: String,
    title: String,
    status: String,
    status_label: String,
    updated: String,
}

impl From<&NoticeDto> for NoticeRow {
    fn from(n: &NoticeDto) -> Self {
        Self {
            id: n.id,
            kind: n.kind.clone(),
            title: n.title.clone(),
            status: n.status.clone(),
            status_label: n.status_label.clone(),
            updated: at(Some(n.updated_at)),
        }
    }
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    chrome: Chrome,
    rows: Vec<NoticeRow>,
}

/// `GET /admin/ui/notices`.
pub async fn list(State(state): State<AdminState>, operator: Operator) -> Response {
    let filter = NoticeFilter {
        status: None,
        page: Some(1),
        per_page: Some(100),
    };
    match api::list(State(state), operator.viewer(), ApiQuery(filter)).await {
        Ok(Json(found)) => {
            let page = NoticesPage {
                chrome: Chrome::new(&operator, Section::Notices, None),
                rows: found.items.iter().map(NoticeRow::from).collect(),
            };
            view::page(&page, None)
        }
        Err(error) => view::problem(&operator, Section::Notices, error),
    }
}

/// The editor's fields, as typed (also the form posted to save and to preview).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NoticeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    link_label: String,
    #[serde(default)]
    link_url: String,
}

impl NoticeForm {
    fn request(&self) -> NoticeRequest {
        let optional = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        NoticeRequest {
            kind: if self.kind.is_empty() {
                "text".into()
            } else {
                self.kind.clone()
            },
            title: self.title.clone(),
            body: self.body.clone(),
            image_url: optional(&self.image_url),
            link_label: optional(&self.link_label),
            link_url: optional(&self.link_url),
        }
    }
}

impl From<&NoticeDto> for NoticeForm {
    fn from(n: &NoticeDto) -> Self {
        Self {
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            image_url: n.image_url.clone().unwrap_or_default(),
            link_label: n.link_label.clone().unwrap_or_default(),
            link_url: n.link_url.clone().unwrap_or_default(),
        }
    }
}

/// The preview: the notice as the chat would show it, or what keeps it from being shown.
#[derive(Template)]
#[template(path = "notice_preview.html")]
pub struct Preview {
    title: String,
    /// The body inside the card, when it fits there.
    card_body: Option<String>,
    /// The body in its own bubble after the card, when it does not.
    bubble_body: Option<String>,
    image_url: Option<String>,
    link_label: Option<String>,
    problems: Vec<String>,
}

impl Preview {
    fn of(form: &NoticeForm) -> Self {
        match api::content(&form.request()) {
            Ok(notice) => {
                let body = notice.body().to_owned();
                let fits = notice.body_fits_card();
                Self {
                    title: notice.title().to_owned(),
                    card_body: fits.then(|| body.clone()),
                    bubble_body: (!fits).then_some(body),
                    image_url: notice.image_url().map(|u| u.as_str().to_owned()),
                    link_label: notice.link().map(|l| l.label().to_owned()),
                    problems: Vec::new(),
                }
            }
            Err(error) => Self {
                title: String::new(),
                card_body: None,
                bubble_body: None,
                image_url: None,
                link_label: None,
                problems: problems(error),
            },
        }
    }
}

fn problems(error: ApiError) -> Vec<String> {
    match error {
        ApiError::Validation(fields) => fields.into_iter().map(|f| f.message).collect(),
        other => vec![other.to_string()],
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct EditorPage {
    chrome: Chrome,
    /// `None` for a new notice.
    id: Option<i64>,
    status: String,
    status_label: String,
    form: NoticeForm,
    /// The rendered [`Preview`] of `form`.
    preview: String,
    /// The statuses it may be moved to: key and button label.
    moves: Vec<(&'static str, &'static str)>,
}

/// `GET /admin/ui/notices/new`.
pub async fn new(operator: Operator) -> Response {
    editor(
        &operator,
        None,
        NoticeForm {
            kind: "text".into(),
            ..NoticeForm::default()
        },
        None,
    )
}

/// `GET /admin/ui/notices/{id}`.
pub async fn edit(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    show(&state, &operator, id, None).await
}

async fn show(state: &AdminState, operator: &Operator, id: i64, flash: Option<Flash>) -> Response {
    match api::detail(State(state.clone()), operator.viewer(), ApiPath(id)).await {
        Ok(Json(notice)) => editor(operator, Some(&notice), NoticeForm::from(&notice), flash),
        Err(error) => view::problem(operator, Section::Notices, error),
    }
}

fn editor(
    operator: &Operator,
    notice: Option<&NoticeDto>,
    form: NoticeForm,
    flash: Option<Flash>,
) -> Response {
    let status = notice.and_then(|n| NoticeStatus::parse(&n.status));
    let moves = match status {
        Some(current) if operator.is_admin() => [
            (NoticeStatus::Published, "게시"),
            (NoticeStatus::Main, "상단 고정"),
            (NoticeStatus::Hidden, "숨기기"),
        ]
        .into_iter()
        .filter(|(to, _)| *to != current && current.can_become(*to))
        .map(|(to, label)| (to.as_str(), label))
        .collect(),
        _ => Vec::new(),
    };
    let page = EditorPage {
        chrome: Chrome::new(operator, Section::Notices, flash.clone()),
        id: notice.map(|n| n.id),
        status: notice.map_or_else(String::new, |n| n.status.clone()),
        status_label: notice.map_or_else(String::new, |n| n.status_label.clone()),
        preview: Preview::of(&form).render().unwrap_or_default(),
        form,
        moves,
    };
    view::page(&page, flash.as_ref())
}

/// `POST /admin/ui/notices/preview`: the preview of the fields as typed (nothing is saved).
pub async fn preview(_operator: Operator, Form(form): Form<NoticeForm>) -> Preview {
    Preview::of(&form)
}

/// `POST /admin/ui/notices/new`: saves a new notice (hidden until published) and opens it.
pub async fn create(
    State(state): State<AdminState>,
    operator: Operator,
    Form(form): Form<NoticeForm>,
) -> Response {
    let saved = operator
        .as_admin(|admin| api::create(State(state.clone()), admin, ApiJson(form.request())))
        .await;
    match saved {
        Ok(notice) => {
            let flash = Flash::ok("저장했습니다. 아직 숨김 상태이니, 보이게 하려면 '게시'를 누르세요.");
            let mut response = editor(&operator, Some(&notice), NoticeForm::from(&notice), Some(flash));
            if let Ok(url) = HeaderValue::from_str(&format!("/admin/ui/notices/{}", notice.id)) {
                response.headers_mut().insert("hx-push-url", url);
            }
            response
        }
        // The fields stay as typed, with what to fix.
        Err(error) => editor(&operator, None, form, Some(Flash::from(error))),
    }
}

/// `POST /admin/ui/notices/{id}`: saves the notice's new content.
pub async fn update(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<NoticeForm>,
) -> Response {
    let saved = operator
        .as_admin(|admin| api::update(State(state.clone()), admin, ApiPath(id), ApiJson(form.request())))
        .await;
    match saved {
        Ok(notice) => editor(
            &operator,
            Some(&notice),
            NoticeForm::from(&notice),
            Some(Flash::ok("저장했습니다.")),
        ),
        Err(error) => {
            let flash = Flash::from(error);
            match api::detail(State(state.clone()), operator.viewer(), ApiPath(id)).await {
                Ok(Json(notice)) => editor(&operator, Some(&notice), form, Some(flash)),
                Err(error) => view::problem(&operator, Section::Notices, error),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// `POST /admin/ui/notices/{id}/status`: publish, pin or hide.
pub async fn set_status(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let request = NoticeStatusRequest { status: form.status };
    let changed = operator
        .as_admin(|admin| api::set_status(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    let flash = match changed {
        Ok(notice) => Flash::ok(format!("이제 '{}' 상태입니다.", notice.status_label)),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

impl IntoResponse for Preview {
    fn into_response(self) -> Response {
        view::html(axum::http::StatusCode::OK, &self)
    }
}
