//! `/admin/ui/products`: products in every status, one product, and the status actions its state allows.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::products::{self as api, ProductDto, ProductFilter, StatusRequest};
use crate::admin::{AdminState, ApiJson, ApiPath, ApiQuery};
use crate::present::won;
use crate::products::holds::Hold;
use crate::products::model::{ProductStatus, StatusAction};

struct ProductRow {
    id: i64,
    name: String,
    seller: String,
    seller_id: i64,
    price: String,
    status: String,
    status_label: String,
    created: String,
}

impl From<&ProductDto> for ProductRow {
    fn from(p: &ProductDto) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            seller: p.seller_name.clone(),
            seller_id: p.seller_id,
            price: won(p.price),
            status: p.status.clone(),
            status_label: p.status_label.clone(),
            created: at(Some(p.created_at)),
        }
    }
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    chrome: Chrome,
    statuses: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<ProductRow>,
    q: String,
    /// The filters, for the pager's links.
    query: String,
    total: i64,
    page: i64,
    pages: i64,
}

/// `GET /admin/ui/products?q=&status=&page=`.
pub async fn list(
    State(state): State<AdminState>,
    operator: Operator,
    ApiQuery(mut filter): ApiQuery<ProductFilter>,
) -> Response {
    // The form sends empty fields for "any".
    filter.q = filter.q.filter(|q| !q.trim().is_empty());
    filter.status = filter.status.filter(|s| !s.is_empty());
    let seller = filter.seller_id.map(|id| id.to_string()).unwrap_or_default();
    let (q, status) = (
        filter.q.clone().unwrap_or_default(),
        filter.status.clone().unwrap_or_default(),
    );
    match api::list(State(state), operator.viewer(), ApiQuery(filter)).await {
        Ok(Json(found)) => {
            let page = ProductsPage {
                chrome: Chrome::new(&operator, Section::Products, None),
                statuses: ProductStatus::ALL
                    .iter()
                    .map(|s| (s.key(), s.label(), s.key() == status))
                    .collect(),
                rows: found.items.iter().map(ProductRow::from).collect(),
                query: view::query(&[("q", &q), ("status", &status), ("seller_id", &seller)]),
                q,
                total: found.total,
                page: found.page,
                pages: view::pages(found.total, found.per_page),
            };
            view::page(&page, None)
        }
        Err(error) => view::problem(&operator, Section::Products, error),
    }
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    chrome: Chrome,
    product: ProductRow,
    description: String,
    category: String,
    location: String,
    /// The actions the state machine allows now: key and label.
    actions: Vec<(&'static str, &'static str)>,
    /// Why the market holds the product, said in Korean, or empty.
    held: &'static str,
    /// Whether an admin may release the hold here (reports' and admins' holds; a suspension's is lifted
    /// on the member).
    releasable: bool,
}

/// `GET /admin/ui/products/{id}`.
pub async fn detail(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    show(&state, &operator, id, None).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
}

/// `POST /admin/ui/products/{id}/status`: one status action, as the API's status change.
pub async fn change_status(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    let label = StatusAction::parse(&form.action).map_or("", StatusAction::label);
    let request = StatusRequest { action: form.action };
    let changed = operator
        .as_admin(|admin| api::change_status(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    let flash = match changed {
        Ok(product) => Flash::ok(format!("'{label}' 했습니다: 이제 {}.", product.status_label)),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

/// `POST /admin/ui/products/{id}/release`: lists a held product again, as the API does.
pub async fn release(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let released = operator
        .as_admin(|admin| api::release(State(state.clone()), admin, ApiPath(id)))
        .await;
    let flash = match released {
        Ok(product) => Flash::ok(format!("다시 목록에 올렸습니다: 이제 {}.", product.status_label)),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash)).await
}

async fn show(state: &AdminState, operator: &Operator, id: i64, flash: Option<Flash>) -> Response {
    let product = match api::detail(State(state.clone()), operator.viewer(), ApiPath(id)).await {
        Ok(Json(product)) => product,
        Err(error) => return view::problem(operator, Section::Products, error),
    };
    let actions = if operator.is_admin() {
        product
            .actions
            .iter()
            .filter_map(|key| StatusAction::parse(key))
            .map(|a| (a.key(), a.label()))
            .collect()
    } else {
        Vec::new()
    };
    let page = ProductPage {
        chrome: Chrome::new(operator, Section::Products, flash.clone()),
        description: product.description.clone(),
        category: product.category.clone(),
        location: product.location.clone(),
        held: match product.held_by.as_deref().and_then(Hold::parse) {
            Some(Hold::Reports) => "신고가 쌓여 목록에서 내렸습니다 (관리자 확인 전까지).",
            Some(Hold::Admin) => "관리자가 숨겼습니다. 판매자는 다시 보이게 할 수 없습니다.",
            Some(Hold::Suspension) => "판매자의 이용이 제한되어 목록에서 내렸습니다.",
            None => "",
        },
        releasable: operator.is_admin()
            && matches!(
                product.held_by.as_deref().and_then(Hold::parse),
                Some(Hold::Reports | Hold::Admin)
            ),
        product: ProductRow::from(&product),
        actions,
    };
    view::page(&page, flash.as_ref())
}
