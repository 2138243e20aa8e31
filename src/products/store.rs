//! Products, drafts and photo sets in the database.
//!
//! Every status change is a conditional update on the status the caller saw, so of two racing changes
//! exactly one applies; registration consumes its draft with a conditional update, so a double tap
//! creates one product.

use std::sync::LazyLock;

use sqlx::FromRow;

use super::catalog::Catalog;
use super::holds::Hold;
use super::model::{
    Category, ListCursor, OfferStatus, Page, Photo, PhotoFailure, PhotosState, Product, ProductStatus,
    ProductSummary,
};
use super::reservation::{FORGET_BUYER, RECORD_DIRECT_TRADE};
use super::search;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write, text_set};
use crate::domain::ids::{MemberId, ProductId};
use crate::notifications::outbox::Announce;
use crate::notifications::{Kind, Outbox};

/// Which products a list shows.
#[derive(Clone, Copy, Debug)]
pub enum Listing<'a> {
    /// Everything on sale or reserved.
    All,
    Category(Category),
    /// Name or description contains the text (matched literally, `%` and `_` included).
    Search(&'a str),
    /// A seller's own products in one status, or in every status but deleted.
    Seller {
        seller_id: MemberId,
        status: Option<ProductStatus>,
    },
}

/// Products on one page of a list (a carousel holds ten cards).
pub const PER_PAGE: usize = 10;

/// A page of summaries after the cursor `($1, $2)` = (`listed_at`, id), newest first: [`PER_PAGE`] and one
/// more, to know whether a next page exists.
///
/// The limit is written into the text, not bound. PostgreSQL plans a prepared statement afresh on every
/// call (custom plans) unless its generic plan looks about as cheap, and a generic plan cannot know a bound
/// `LIMIT` is small: it costed `LIMIT $3` as a tenth of the table (939 against the custom plan's 2.5 at 100k
/// products), so every call was planned again — 0.2 ms of planning for 0.04 ms of execution. With the
/// literal limit the generic plan (the same index scan) costs about the same, and is kept.
///
/// "After the cursor" is written `listed_at <= $1 AND (listed_at < $1 OR id < $2)` rather than as a row
/// comparison: both planners turn the first term into a range on the `(…, listed_at, id)` indexes, so a
/// deep page starts where the previous one ended instead of walking the pages before it.
fn summary_query(condition: &str) -> String {
    format!(
        "SELECT {SUMMARY_COLUMNS} \
         FROM products p {SUMMARY_JOINS} \
         WHERE p.{condition} AND p.listed_at <= $1 AND (p.listed_at < $1 OR p.id < $2) \
         ORDER BY p.listed_at DESC, p.id DESC LIMIT {fetch}",
        fetch = PER_PAGE + 1
    )
}

/// What a list row holds ([`SummaryRow`]), from `products p` and [`SUMMARY_JOINS`].
pub(super) const SUMMARY_COLUMNS: &str = "p.id, p.seller_id, p.name, p.price, p.category, p.status, \
     p.created_at, p.listed_at, m.name AS seller_name, ph.thumb_key AS cover_thumb_key";
/// The seller's name and the cover photo of a list row.
pub(super) const SUMMARY_JOINS: &str = "JOIN members m ON m.id = p.seller_id \
     LEFT JOIN photos ph ON ph.set_id = p.photo_set_id AND ph.position = 0";

/// The public lists' condition, `status IN ('on_sale', 'reserved')`. It is written into the text (from
/// [`ProductStatus::LISTED`]) rather than bound: a planner uses the `products_listed*` partial indexes only
/// when the query states their predicate.
pub(super) fn listed_condition() -> String {
    format!(
        "status IN {}",
        text_set(ProductStatus::LISTED.map(ProductStatus::key))
    )
}

fn listed_and(condition: &str) -> String {
    summary_query(&format!("{}{condition}", listed_condition()))
}

/// A listed product whose text holds `$3` somewhere: the scan that [`super::search`] falls back to for a
/// one-character query. A plain substring test (no LIKE wildcards to escape) on the stored lower-case
/// text; the function is `instr` in SQLite and `strpos` in PostgreSQL.
pub(super) fn search_scan(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(..) => &LIST_SEARCH_SQLITE,
        Db::Postgres(_) => &LIST_SEARCH_POSTGRES,
    }
}

static LIST_SEARCH_SQLITE: LazyLock<String> =
    LazyLock::new(|| listed_and(" AND instr(p.search_text, $3) > 0"));
static LIST_SEARCH_POSTGRES: LazyLock<String> =
    LazyLock::new(|| listed_and(" AND strpos(p.search_text, $3) > 0"));
static LIST_ALL: LazyLock<String> = LazyLock::new(|| listed_and(""));
static LIST_CATEGORY: LazyLock<String> = LazyLock::new(|| listed_and(" AND p.category = $3"));
/// A seller's products in the status `$4`, or (with `$4` deleted) in every status but that one.
static LIST_SELLER_STATUS: LazyLock<String> =
    LazyLock::new(|| summary_query("seller_id = $3 AND p.status = $4"));
static LIST_SELLER_ALL: LazyLock<String> =
    LazyLock::new(|| summary_query("seller_id = $3 AND p.status <> $4"));

#[derive(FromRow)]
pub(super) struct SummaryRow {
    id: ProductId,
    seller_id: MemberId,
    name: String,
    price: i64,
    category: String,
    status: String,
    created_at: i64,
    listed_at: i64,
    seller_name: String,
    cover_thumb_key: Option<String>,
}

fn corrupt(what: &str, id: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("product {id}: bad {what}").into())
}

impl SummaryRow {
    pub(super) fn into_summary(self) -> Result<ProductSummary, sqlx::Error> {
        Ok(ProductSummary {
            category: Category::parse(&self.category).ok_or_else(|| corrupt("category", self.id))?,
            status: ProductStatus::parse(&self.status).ok_or_else(|| corrupt("status", self.id))?,
            id: self.id,
            seller_id: self.seller_id,
            name: self.name,
            price: self.price,
            seller_name: self.seller_name,
            cover_thumb_key: self.cover_thumb_key,
            created_at: self.created_at,
            listed_at: self.listed_at,
        })
    }
}

/// What search matches against: name and description, lower-cased (so `IPHONE` finds `iPhone`).
pub fn search_text(name: &str, description: &str) -> String {
    format!("{}\n{}", name.to_lowercase(), description.to_lowercase())
}

/// One page ([`PER_PAGE`]) of `listing`, most recently listed (registered or bumped) first, starting after
/// `cursor` (the last product of the previous page).
pub async fn list(
    db: &Db,
    listing: Listing<'_>,
    cursor: Option<ListCursor>,
) -> Result<Page<ProductSummary, ListCursor>, sqlx::Error> {
    let cursor = cursor.unwrap_or(ListCursor::START);
    let sql: &'static str = match listing {
        Listing::All => &LIST_ALL,
        Listing::Category(_) => &LIST_CATEGORY,
        Listing::Search(text) => return page(search::rows(db, &text.to_lowercase(), cursor).await?),
        Listing::Seller { status: Some(_), .. } => &LIST_SELLER_STATUS,
        Listing::Seller { status: None, .. } => &LIST_SELLER_ALL,
    };
    let rows: Vec<SummaryRow> = dispatch!(db, pool => {
        let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cursor.listed_at)
            .bind(cursor.id);
        let query = match listing {
            Listing::All | Listing::Search(_) => query,
            Listing::Category(category) => query.bind(category),
            Listing::Seller { seller_id, status } => {
                let query = query.bind(seller_id);
                query.bind(status.unwrap_or(ProductStatus::Deleted))
            }
        };
        query.fetch_all(pool).await?
    });
    page(rows)
}

/// A page from the rows of a list query: [`PER_PAGE`] of them, and the cursor after the last when the
/// query found one more.
fn page(rows: Vec<SummaryRow>) -> Result<Page<ProductSummary, ListCursor>, sqlx::Error> {
    let mut items = rows
        .into_iter()
        .map(SummaryRow::into_summary)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > PER_PAGE {
        items.truncate(PER_PAGE);
        items.last().map(ListCursor::after)
    } else {
        None
    };
    Ok(Page { items, next })
}

#[derive(FromRow)]
struct ProductRow {
    id: ProductId,
    seller_id: MemberId,
    seller_name: String,
    name: String,
    price: i64,
    description: String,
    category: String,
    location: String,
    open_chat_url: String,
    status: String,
    created_at: i64,
    photo_set_id: Option<i64>,
    held_by: Option<String>,
    photos_state: Option<String>,
    photos_requested: Option<i64>,
    /// The first failure's message (or `interrupted`): set exactly when some photo of the set failed.
    photos_failure: Option<String>,
}

#[derive(FromRow)]
struct PhotoFailureRow {
    position: i64,
    reason: String,
    message: String,
}

#[derive(FromRow)]
struct PhotoRow {
    original_key: String,
    thumb_key: String,
    width: i64,
    height: i64,
}

const GET_PRODUCT: &str = "SELECT p.id, p.seller_id, m.name AS seller_name, p.name, p.price, p.description, \
            p.category, p.location, p.open_chat_url, p.status, p.created_at, p.photo_set_id, p.held_by, \
            ps.state AS photos_state, ps.requested AS photos_requested, ps.failure AS photos_failure \
     FROM products p \
     JOIN members m ON m.id = p.seller_id \
     LEFT JOIN photo_sets ps ON ps.id = p.photo_set_id \
     WHERE p.id = $1";

const GET_PHOTOS: &str =
    "SELECT original_key, thumb_key, width, height FROM photos WHERE set_id = $1 ORDER BY position";

const GET_PHOTO_FAILURES: &str =
    "SELECT position, reason, message FROM photo_failures WHERE set_id = $1 ORDER BY position";

/// A product with its seller's name and its photos, whatever its status.
pub async fn get(db: &Db, id: ProductId) -> Result<Option<Product>, sqlx::Error> {
    let row: Option<ProductRow> = dispatch!(db, pool => {
        sqlx::query_as(GET_PRODUCT).bind(id).fetch_optional(pool).await?
    });
    let Some(row) = row else { return Ok(None) };
    let photos: Vec<PhotoRow> = match row.photo_set_id {
        Some(set_id) => dispatch!(db, pool => {
            sqlx::query_as(GET_PHOTOS).bind(set_id).fetch_all(pool).await?
        }),
        None => Vec::new(),
    };
    // Only sets where something failed have failures to read: the common detail costs no extra query.
    let failures: Vec<PhotoFailureRow> = match (row.photo_set_id, &row.photos_failure) {
        (Some(set_id), Some(_)) => dispatch!(db, pool => {
            sqlx::query_as(GET_PHOTO_FAILURES).bind(set_id).fetch_all(pool).await?
        }),
        _ => Vec::new(),
    };
    Ok(Some(Product {
        category: Category::parse(&row.category).ok_or_else(|| corrupt("category", row.id))?,
        status: ProductStatus::parse(&row.status).ok_or_else(|| corrupt("status", row.id))?,
        photos_state: PhotosState::parse(row.photos_state.as_deref()),
        photos_requested: row
            .photos_requested
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
        photo_failures: failures
            .into_iter()
            .map(|f| PhotoFailure {
                position: usize::try_from(f.position).unwrap_or(0),
                reason: f.reason,
                message: f.message,
            })
            .collect(),
        photos: photos
            .into_iter()
            .map(|p| Photo {
                original_key: p.original_key,
                thumb_key: p.thumb_key,
                width: u32::try_from(p.width).unwrap_or(0),
                height: u32::try_from(p.height).unwrap_or(0),
            })
            .collect(),
        id: row.id,
        seller_id: row.seller_id,
        seller_name: row.seller_name,
        name: row.name,
        price: row.price,
        description: row.description,
        location: row.location,
        open_chat_url: row.open_chat_url,
        held: row.held_by.as_deref().and_then(Hold::parse),
        created_at: row.created_at,
    }))
}

/// Moves the seller's product from `from` to `to`; false when it was no longer in `from` (or not theirs),
/// or when the market holds it ([`super::holds`]: only the hold's own release moves it then).
///
/// The members who saved the product hear of a sale or a return (`saver_alert`) in the same transaction: the change
/// and its alerts commit together, and a change that lost its race alerts nobody.
pub async fn change_status(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: ProductId,
    seller_id: MemberId,
    from: ProductStatus,
    to: ProductStatus,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let alert = saver_alert(from, to);
    let changed = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE products SET status = $1, updated_at = $2 \
             WHERE id = $3 AND seller_id = $4 AND status = $5 AND held_at IS NULL",
        )
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(seller_id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        // No early exit inside the gated block: the write gate must hear how the write ended.
        if changed {
            // Flow A: a product sold from a reservation with a named buyer is a trade both may review; the
            // buyer is told it is complete (and so is left out of the savers' alert).
            let mut buyer: Option<MemberId> = None;
            if from == ProductStatus::Reserved {
                if to == ProductStatus::Sold {
                    let trade: Option<(i64, MemberId)> = sqlx::query_as(RECORD_DIRECT_TRADE)
                        .bind(now)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some((trade, named)) = trade {
                        tx.notify_direct_trade(outbox, trade, now).await?;
                        buyer = Some(named);
                    }
                }
                sqlx::query(FORGET_BUYER).bind(id).execute(&mut *tx).await?;
            }
            if ends_offers(to) {
                sqlx::query(sqlx::AssertSqlSafe(END_OFFERS.as_str()))
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(kind) = alert {
                tx.notify_savers(outbox, id, kind, None, buyer, now).await?;
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        changed
    });
    outbox.wake_if(changed && alert.is_some());
    Ok(catalog.retire_if(changed))
}

/// Ends the offers still open on product `$2` (`$1` now): pending ones and an accepted one. An accepted
/// offer must not price a later sale: once the product is sold or deleted, the seller takes offers afresh.
/// The statuses are written into the text (from the enum): SQLite's planner fails on such an update with
/// them bound, over the partial indexes on `offers.status`.
pub static END_OFFERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE offers SET status = '{}', decided_at = $1 WHERE product_id = $2 AND status IN {}",
        OfferStatus::Withdrawn.key(),
        text_set([OfferStatus::Pending, OfferStatus::Accepted].map(OfferStatus::key))
    )
});

/// A product that becomes sold or deleted takes no more offers, and its accepted one is spent.
fn ends_offers(to: ProductStatus) -> bool {
    matches!(to, ProductStatus::Sold | ProductStatus::Deleted)
}

/// What the members who saved a product are told when its seller moves it from `from` to `to`: that it
/// is sold, or that it is on sale again after a reservation or a sale. Hiding, showing and deleting are
/// the seller's own business and alert nobody.
fn saver_alert(from: ProductStatus, to: ProductStatus) -> Option<Kind> {
    match (from, to) {
        (_, ProductStatus::Sold) => Some(Kind::FavouriteSold),
        (ProductStatus::Reserved | ProductStatus::Sold, ProductStatus::OnSale) => Some(Kind::FavouriteBack),
        _ => None,
    }
}

/// What [`change_price`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum PriceChange {
    /// The price is now the new one.
    Changed,
    /// The product was not the seller's, not on sale or reserved, or not at the price they saw.
    Stale,
}

/// Sets the price of the seller's product, on sale or reserved, from `seen` (the price the seller was
/// looking at) to `price`, as one conditional update: a stale screen or a racing change leaves it alone.
/// A lower price alerts the members who saved the product, in the same transaction, with the old price
/// (in won, as digits) as the alert's detail.
pub async fn change_price(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: ProductId,
    seller_id: MemberId,
    seen: i64,
    price: i64,
) -> Result<PriceChange, sqlx::Error> {
    let now = now_ms();
    let [on_sale, reserved] = ProductStatus::LISTED;
    let dropped = price < seen;
    let changed = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE products SET price = $1, updated_at = $2 \
             WHERE id = $3 AND seller_id = $4 AND status IN ($5, $6) AND price = $7",
        )
        .bind(price)
        .bind(now)
        .bind(id)
        .bind(seller_id)
        .bind(on_sale)
        .bind(reserved)
        .bind(seen)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            if dropped {
                let before = seen.to_string();
                tx.notify_savers(outbox, id, Kind::PriceDrop, Some(&before), None, now).await?;
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        changed
    });
    outbox.wake_if(changed && dropped);
    Ok(if catalog.retire_if(changed) {
        PriceChange::Changed
    } else {
        PriceChange::Stale
    })
}

/// The validated fields of a product to register.
#[derive(Clone, Debug)]
pub struct ProductFields<'a> {
    pub name: &'a str,
    pub price: i64,
    pub description: &'a str,
    pub category: Category,
    pub location: &'a str,
    pub open_chat_url: &'a str,
}

/// Binds the six product fields, in order, as the next parameters of `$query`.
macro_rules! bind_fields {
    ($query:expr, $fields:expr) => {
        $query
            .bind($fields.name)
            .bind($fields.price)
            .bind($fields.description)
            .bind($fields.category.key())
            .bind($fields.location)
            .bind($fields.open_chat_url)
    };
}

/// A saved preview, waiting for the member to confirm.
#[derive(Clone, Debug, FromRow)]
pub struct Draft {
    pub id: i64,
    pub member_id: MemberId,
    pub name: String,
    pub price: i64,
    pub description: String,
    pub category: String,
    pub location: String,
    pub open_chat_url: String,
    pub photo_set_id: Option<i64>,
    pub product_id: Option<ProductId>,
}

/// Saves a preview; returns the draft id the confirmation will carry.
pub async fn create_draft(
    db: &Db,
    member_id: MemberId,
    fields: &ProductFields<'_>,
    photo_set_id: Option<i64>,
) -> Result<i64, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let insert = sqlx::query_as(
            "INSERT INTO product_drafts \
             (member_id, name, price, description, category, location, open_chat_url, photo_set_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(member_id);
        let (id,): (i64,) = bind_fields!(insert, fields)
        .bind(photo_set_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// The member's draft with this id (another member's draft is not found).
pub async fn get_draft(db: &Db, id: i64, member_id: MemberId) -> Result<Option<Draft>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT id, member_id, name, price, description, category, location, open_chat_url, \
                    photo_set_id, product_id \
             FROM product_drafts WHERE id = $1 AND member_id = $2",
        )
        .bind(id)
        .bind(member_id)
        .fetch_optional(pool)
        .await
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum Registration {
    Created(ProductId),
    /// The draft was already registered (a double tap); the product it made.
    AlreadyRegistered(ProductId),
}

/// Creates the product from the member's draft `draft`, whose fields the caller re-validated as `fields`.
/// The draft is consumed by a conditional update in the same transaction.
///
/// The members whose keywords the new product matches are alerted in the same transaction, so an alert
/// never names a product that was not registered.
pub async fn register(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    draft: &Draft,
    fields: &ProductFields<'_>,
) -> Result<Registration, sqlx::Error> {
    let registration = insert_product(db, outbox, draft, fields).await?;
    let created = matches!(registration, Registration::Created(_));
    outbox.wake_if(created);
    catalog.retire_if(created);
    Ok(registration)
}

async fn insert_product(
    db: &Db,
    outbox: &Outbox,
    draft: &Draft,
    fields: &ProductFields<'_>,
) -> Result<Registration, sqlx::Error> {
    if let Some(existing) = draft.product_id {
        return Ok(Registration::AlreadyRegistered(existing));
    }
    let now = now_ms();
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let insert = sqlx::query_as(
            "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, \
                                   search_text, photo_set_id, status, created_at, updated_at, listed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $10, $10) RETURNING id",
        )
        .bind(draft.member_id);
        let (product_id,): (ProductId,) = bind_fields!(insert, fields)
        .bind(search_text(fields.name, fields.description))
        .bind(draft.photo_set_id)
        .bind(now)
        .bind(ProductStatus::OnSale)
        .fetch_one(&mut *tx)
        .await?;
        let consumed = sqlx::query(
            "UPDATE product_drafts SET product_id = $1 WHERE id = $2 AND member_id = $3 AND product_id IS NULL",
        )
        .bind(product_id)
        .bind(draft.id)
        .bind(draft.member_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // The outcome is the block's value rather than an early exit: the write gate must hear that
        // the write went through, or a registration would count as a failed write for readiness.
        if consumed == 1 {
            tx.notify_keywords(outbox, product_id, now).await?;
            tx.commit().await?;
            Ok(Registration::Created(product_id))
        } else {
            tx.rollback().await?;
            let (existing,): (Option<ProductId>,) = sqlx::query_as("SELECT product_id FROM product_drafts WHERE id = $1")
                .bind(draft.id)
                .fetch_one(pool)
                .await?;
            Ok(Registration::AlreadyRegistered(existing.unwrap_or(ProductId::new(0))))
        }
    })
}

/// Starts a photo set for `requested` photos that are about to be downloaded.
pub async fn create_photo_set(db: &Db, owner_id: MemberId, requested: usize) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO photo_sets (owner_id, state, requested, created_at, updated_at) \
             VALUES ($1, $4, $2, $3, $3) RETURNING id",
        )
        .bind(owner_id)
        .bind(i64::try_from(requested).unwrap_or(i64::MAX))
        .bind(now)
        .bind(PhotosState::Pending)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// A downloaded and stored photo, ready to be recorded.
#[derive(Clone, Debug)]
pub struct NewPhoto {
    pub original_key: String,
    pub thumb_key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// Records the outcome of a photo set's downloads: the photos that made it, and why each other one did
/// not (`failures`, by its place in the seller's upload). A set with at least one photo is ready; with
/// none, failed. Only a set still pending is finished, once: false when it was not pending any more
/// (given up on by [`fail_stale_photo_sets`]), and then nothing is written.
pub async fn finish_photo_set(
    db: &Db,
    catalog: &Catalog,
    set_id: i64,
    photos: &[NewPhoto],
    failures: &[PhotoFailure],
) -> Result<bool, sqlx::Error> {
    let finished = record_photo_set(db, set_id, photos, failures).await?;
    Ok(catalog.retire_if(finished))
}

async fn record_photo_set(
    db: &Db,
    set_id: i64,
    photos: &[NewPhoto],
    failures: &[PhotoFailure],
) -> Result<bool, sqlx::Error> {
    let state = if photos.is_empty() {
        PhotosState::Failed
    } else {
        PhotosState::Ready
    };
    let failure = failures.first().map(|f| f.message.as_str());
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let finished = sqlx::query(
            "UPDATE photo_sets SET state = $1, failure = $2, updated_at = $3 WHERE id = $4 AND state = $5",
        )
        .bind(state)
        .bind(failure)
        .bind(now_ms())
        .bind(set_id)
        .bind(PhotosState::Pending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if finished != 1 {
            tx.rollback().await?;
            break 'write Ok(false);
        }
        for (position, photo) in photos.iter().enumerate() {
            sqlx::query(
                "INSERT INTO photos (set_id, position, original_key, thumb_key, content_type, width, height, bytes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(set_id)
            .bind(position as i64)
            .bind(&photo.original_key)
            .bind(&photo.thumb_key)
            .bind(&photo.content_type)
            .bind(i64::from(photo.width))
            .bind(i64::from(photo.height))
            .bind(i64::try_from(photo.bytes).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        for failed in failures {
            sqlx::query("INSERT INTO photo_failures (set_id, position, reason, message) VALUES ($1, $2, $3, $4)")
                .bind(set_id)
                .bind(i64::try_from(failed.position).unwrap_or(i64::MAX))
                .bind(&failed.reason)
                .bind(&failed.message)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Marks photo sets still pending after `older_than_ms` as failed: their download task died with a
/// previous process, and nobody would ever finish them.
pub async fn fail_stale_photo_sets(db: &Db, older_than_ms: i64) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - older_than_ms;
    dispatch_write!(db, pool => {
        Ok(sqlx::query(
            "UPDATE photo_sets SET state = $3, failure = 'interrupted', updated_at = $1 \
             WHERE state = $4 AND created_at < $2",
        )
        .bind(now_ms())
        .bind(cutoff)
        .bind(PhotosState::Failed)
        .bind(PhotosState::Pending)
        .execute(pool)
        .await?
        .rows_affected())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public lists state the predicate of the `products_listed*` partial indexes word for word; a
    /// status added to [`ProductStatus::LISTED`] without a migration of the indexes fails here.
    #[test]
    fn public_lists_repeat_the_partial_index_predicate() {
        for migration in [
            include_str!("../../migrations/sqlite/0017_bumps.sql"),
            include_str!("../../migrations/postgres/0017_bumps.sql"),
        ] {
            let predicate = migration
                .split("CREATE INDEX products_listed ON products (listed_at, id) WHERE ")
                .nth(1)
                .and_then(|rest| rest.split(';').next())
                .unwrap();
            for list in [
                &LIST_ALL,
                &LIST_CATEGORY,
                &LIST_SEARCH_SQLITE,
                &LIST_SEARCH_POSTGRES,
            ] {
                assert!(
                    list.contains(&format!("WHERE p.{predicate}")),
                    "{}",
                    list.as_str()
                );
            }
        }
    }
}
