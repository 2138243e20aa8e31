//! Products for admins: the list with filters, one product, status changes and deletion.
//!
//! Status changes go through the owners' state machine ([`ProductStatus::after`]), so an admin cannot
//! move a product out of a payment state by hand: the payment flow owns those (409 instead).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::{self, Entry};
use super::listing::{self, Arg, Filter, Paged, Paging, refuse_if_any};
use super::{AdminOnly, AdminState, ApiError, ApiJson, ApiPath, ApiQuery, FieldError, Problem, Viewer};
use crate::db::Db;
use crate::domain::ids::ProductId;
use crate::products::holds::{self, Hold};
use crate::products::{Category, Product, ProductStatus, StatusAction, store};

/// A product as admins see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: i64,
    pub seller_id: i64,
    pub seller_name: String,
    pub name: String,
    /// Won.
    pub price: i64,
    pub description: String,
    #[schema(example = "digital")]
    pub category: String,
    pub location: String,
    /// `on_sale`, `reserved`, `hidden`, `pending_payment`, `awaiting_completion`, `sold` or `deleted`.
    #[schema(example = "on_sale")]
    pub status: String,
    #[schema(example = "판매중")]
    pub status_label: String,
    /// The actions the state machine allows now (`hide`, `show`, `reserve`, `unreserve`, `sold`,
    /// `delete`).
    pub actions: Vec<String>,
    /// Why the market holds it off the lists, if it does: `reports`, `admin` or `suspension`.
    pub held_by: Option<String>,
    /// Unix milliseconds (UTC).
    pub created_at: i64,
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.get(),
            seller_id: p.seller_id.get(),
            seller_name: p.seller_name.clone(),
            name: p.name.clone(),
            price: p.price,
            description: p.description.clone(),
            category: p.category.key().into(),
            location: p.location.clone(),
            status: p.status.key().into(),
            status_label: p.status.label().into(),
            actions: if p.held.is_some() {
                Vec::new()
            } else {
                p.status.actions().iter().map(|a| a.key().to_owned()).collect()
            },
            held_by: p.held.map(|h| h.key().to_owned()),
            created_at: p.created_at,
        }
    }
}

listing::page_of!(
    /// A page of products.
    ProductPage,
    ProductDto
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductFilter {
    pub seller_id: Option<i64>,
    /// A category key, e.g. `digital`.
    pub category: Option<String>,
    /// A status key, e.g. `on_sale`.
    pub status: Option<String>,
    /// Text in the name or description (case-insensitive).
    pub q: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// `hide`, `show`, `reserve`, `unreserve`, `sold` or `delete`.
    #[schema(example = "hide")]
    pub action: String,
}

fn product_filter(db: &Db, query: &ProductFilter) -> Result<(Filter, Paging), ApiError> {
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    if let Some(seller) = query.seller_id {
        filter.push(Arg::Int(seller), |p| format!("p.seller_id = {p}"));
    }
    if let Some(key) = query.category.as_deref() {
        match Category::parse(key) {
            Some(c) => filter.push(Arg::Text(c.key().into()), |p| format!("p.category = {p}")),
            None => errors.push(FieldError::new("category", "not a category key")),
        }
    }
    if let Some(key) = query.status.as_deref() {
        match ProductStatus::parse(key) {
            Some(s) => filter.push(Arg::Text(s.key().into()), |p| format!("p.status = {p}")),
            None => errors.push(FieldError::new("status", "not a product status")),
        }
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        filter.push_contains(db, "p.search_text", q.to_lowercase());
    }
    let paging = Paging::parse(query.page, query.per_page, &mut errors);
    refuse_if_any(errors)?;
    Ok((filter, paging))
}

/// Products in every status, newest first.
#[utoipa::path(
    get,
    path = "/admin/products",
    operation_id = "list_products",
    tag = "products",
    params(ProductFilter),
    responses(
        (status = 200, description = "A page of products", body = ProductPage),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter or page value out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiQuery(query): ApiQuery<ProductFilter>,
) -> Result<Json<ProductPage>, ApiError> {
    let db = &state.app.db;
    let (filter, paging) = product_filter(db, &query)?;
    let (ids, total) = listing::page_ids(db, "products p", "p.id", filter, paging).await?;
    // At most a page of products: reading each through the store keeps one mapping of a product.
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(product) = store::get(db, ProductId::new(id)).await? {
            items.push(ProductDto::from(&product));
        }
    }
    Ok(Json(Paged::new(items, paging, total).into()))
}

async fn find(db: &Db, id: i64) -> Result<Product, ApiError> {
    store::get(db, ProductId::new(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))
}

/// One product, whatever its status.
#[utoipa::path(
    get,
    path = "/admin/products/{id}",
    operation_id = "get_product",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductDto>, ApiError> {
    Ok(Json(ProductDto::from(&find(&state.app.db, id).await?)))
}

/// Applies `action` through the state machine, on behalf of the seller, and audits it.
async fn apply(
    state: &AdminState,
    claims: &super::AdminClaims,
    id: i64,
    action: StatusAction,
    audit_action: &'static str,
) -> Result<ProductDto, ApiError> {
    let db = &state.app.db;
    let product = find(db, id).await?;
    if let Some(hold) = product.held {
        return Err(ApiError::Conflict(format!(
            "product {id} is held ({}); release it first",
            hold.key()
        )));
    }
    let Some(next) = product.status.after(action) else {
        return Err(ApiError::Conflict(format!(
            "a product in status {} cannot take the action {}",
            product.status.key(),
            action.key()
        )));
    };
    if !store::change_status(
        db,
        &state.app.catalog,
        &state.app.outbox,
        ProductId::new(id),
        product.seller_id,
        product.status,
        next,
    )
    .await?
    {
        return Err(ApiError::Conflict(format!(
            "product {id} changed meanwhile; reload it"
        )));
    }
    let before = ProductDto::from(&product);
    let after = ProductDto::from(&find(db, id).await?);
    let entry = Entry::new(audit_action, "product", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, claims, &entry).await?;
    Ok(after)
}

/// Changes a product's status as its seller could; payment states are refused (409).
#[utoipa::path(
    post,
    path = "/admin/products/{id}/status",
    operation_id = "change_product_status",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "The product in its new status", body = ProductDto),
        (status = 400, description = "Not a JSON status request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The state machine forbids the action now", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an action", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_status(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusRequest>,
) -> Result<Json<ProductDto>, ApiError> {
    let Some(action) = StatusAction::parse(&body.action) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "action",
            "hide, show, reserve, unreserve, sold or delete",
        )]));
    };
    Ok(Json(apply(&state, &claims, id, action, "product.status").await?))
}

/// Deletes a product (kept as `deleted`), when the state machine allows it.
#[utoipa::path(
    delete,
    path = "/admin/products/{id}",
    operation_id = "delete_product",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product, now deleted", body = ProductDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The product cannot be deleted in its status", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductDto>, ApiError> {
    Ok(Json(
        apply(&state, &claims, id, StatusAction::Delete, "product.delete").await?,
    ))
}

/// Lists again a product held after reports or hidden by an admin, in the status it had. A product held
/// for its seller's suspension is released by lifting the suspension (409 here, as for one not held).
#[utoipa::path(
    post,
    path = "/admin/products/{id}/release",
    operation_id = "release_product",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product, released", body = ProductDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not held by reports or an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn release(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProductDto>, ApiError> {
    let db = &state.app.db;
    let product = find(db, id).await?;
    let hold = match product.held {
        Some(hold @ (Hold::Reports | Hold::Admin)) => hold,
        Some(Hold::Suspension) => {
            return Err(ApiError::Conflict(format!(
                "product {id} is held for its seller's suspension; lift the suspension"
            )));
        }
        None => return Err(ApiError::Conflict(format!("product {id} is not held"))),
    };
    if !holds::release(db, &state.app.catalog, ProductId::new(id), hold).await? {
        return Err(ApiError::Conflict(format!(
            "product {id} changed meanwhile; reload it"
        )));
    }
    let before = ProductDto::from(&product);
    let after = ProductDto::from(&find(db, id).await?);
    let entry = Entry::new("product.release", "product", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, &claims, &entry).await?;
    Ok(Json(after))
}
