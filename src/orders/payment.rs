//! The Kakao Pay flow: start a payment from a link, approve it, handle the cancel/fail redirects,
//! refund, and settle whatever was left unknown.
//!
//! # The rule that keeps money and rows in agreement
//!
//! Every step writes what it is about to do *before* calling Kakao Pay, as a conditional update that only
//! one caller can win, and writes the outcome after:
//!
//! | step | written first | call | then |
//! |---|---|---|---|
//! | `/pay/{token}` | product on sale → payment pending, order `pending` | ready | `tid` stored, or order abandoned |
//! | approve redirect | `pending` → `approving` | approve | `paid`, or asked `order` |
//! | refund | `paid` → `refund_pending` | cancel | `refunded`, or asked `order` |
//!
//! An answer that does not prove what happened (a timeout, a 5xx from approve or cancel) is never
//! guessed at: the order stays `approving` / `refund_pending`, Kakao Pay's `order` status is asked, and
//! the [reconciler](super::reconcile) asks again later until it is settled. An approve left unanswered
//! also marks the order watched ([`ApprovalWatch`](super::model::ApprovalWatch)): if the hold ends while
//! Kakao Pay still says the buyer is paying, the order is closed and the product released, but Kakao Pay
//! is asked until it reports a final status, and a payment it completes after all is refunded. Every call
//! and its outcome is a row in `payment_events`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::link::{LinkError, PayLinks};
use super::model::{CloseReason, Order, OrderStatus};
use super::outcome::PayOutcome;
use super::reconcile::first_look;
use super::store::{self, NewOrder, Opened, PaidOutcome, Watch};
use crate::clock::now_ms;
use crate::config::PaymentSettings;
use crate::db::Db;
use crate::domain::ids::{MemberId, OrderId};
use crate::kakaopay::{
    ApproveRequest, CancelRequest, KakaoPay, PayError, PaymentState, ReadyRequest, SettingsError,
    redirect_for,
};
use crate::notifications::Outbox;
use crate::products::catalog::Catalog;
use crate::products::model::{Product, ProductStatus};
use kakao_skill::WebUrl;

/// How often a browser that hit the approve URL while another request is approving looks again.
const APPROVE_POLL: Duration = Duration::from_millis(50);

/// The payment flow. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    inner: Arc<Inner>,
}

struct Inner {
    kakao: KakaoPay,
    links: PayLinks,
    hold: Duration,
    auto_confirm_after: Duration,
    public_url: String,
    db: Db,
    catalog: Arc<Catalog>,
    outbox: Outbox,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("kakao", &self.inner.kakao)
            .field("hold", &self.inner.hold)
            .finish_non_exhaustive()
    }
}

/// Where `/pay/{token}` sends the browser.
#[derive(Debug)]
pub enum Start {
    /// To Kakao Pay's page.
    Redirect(String),
    /// A page of ours explaining why not.
    Page(PayOutcome),
}

/// How a refund ended for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded,
    /// Not confirmed yet: the order stays `refund_pending` and the reconciler retries.
    Pending,
}

impl Payments {
    pub fn new(
        settings: &PaymentSettings,
        public_url: &str,
        db: Db,
        catalog: Arc<Catalog>,
        outbox: Outbox,
    ) -> Result<Self, SettingsError> {
        Ok(Self {
            inner: Arc::new(Inner {
                kakao: KakaoPay::new(settings.kakaopay.clone())?,
                links: PayLinks::new(&settings.link_secret, settings.link_ttl),
                hold: settings.hold,
                auto_confirm_after: settings.auto_confirm_after,
                public_url: public_url.trim_end_matches('/').to_owned(),
                db,
                catalog,
                outbox,
            }),
        })
    }

    pub fn links(&self) -> &PayLinks {
        &self.inner.links
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The "카카오페이로 구매" link for `buyer_id`, when the product can be bought by them now.
    pub fn buy_link(&self, buyer_id: MemberId, product: &Product) -> Option<WebUrl> {
        self.buy_link_at(buyer_id, product, product.price)
    }

    /// Like [`Self::buy_link`], at `amount` won: the price of the buyer's accepted offer (the order opens
    /// only while that offer stands).
    pub fn buy_link_at(&self, buyer_id: MemberId, product: &Product, amount: i64) -> Option<WebUrl> {
        if product.status != ProductStatus::OnSale || product.seller_id == buyer_id {
            return None;
        }
        let token = self.inner.links.issue(buyer_id, product.id, amount);
        WebUrl::parse(&format!("{}/pay/{token}", self.inner.public_url)).ok()
    }

    /// `GET /pay/{token}`: holds the product, opens the order, calls ready, and says where to go.
    pub async fn start(&self, token: &str, user_agent: &str) -> Result<Start, sqlx::Error> {
        let claims = match self.inner.links.verify(token) {
            Ok(claims) => claims,
            Err(LinkError::Expired) => return Ok(Start::Page(PayOutcome::LinkExpired)),
            Err(LinkError::Invalid) => return Ok(Start::Page(PayOutcome::LinkInvalid)),
        };
        let product = match crate::products::store::get(self.db(), claims.product_id).await? {
            Some(p) if p.status == ProductStatus::OnSale && p.seller_id != claims.buyer_id => p,
            _ => return Ok(Start::Page(PayOutcome::Unavailable)),
        };
        if product.price != claims.amount {
            let accepted =
                crate::offers::store::accepted_price(self.db(), product.id, claims.buyer_id).await?;
            if accepted != Some(claims.amount) {
                return Ok(Start::Page(PayOutcome::PriceChanged));
            }
        }
        let reference = uuid::Uuid::new_v4().simple().to_string();
        let new = NewOrder {
            reference: &reference,
            link_nonce: &claims.nonce,
            product_id: product.id,
            buyer_id: claims.buyer_id,
            seller_id: product.seller_id,
            item_name: &product.name,
            amount: claims.amount,
            hold_expires_at: now_ms() + i64::try_from(self.inner.hold.as_millis()).unwrap_or(i64::MAX),
        };
        let order_id = match store::open(self.db(), &self.inner.catalog, &new).await? {
            Opened::Created(id) => id,
            // A block is private: the product reads as no longer available.
            Opened::Unavailable | Opened::Blocked => return Ok(Start::Page(PayOutcome::Unavailable)),
            Opened::LinkUsed => return Ok(Start::Page(PayOutcome::LinkUsed)),
            Opened::MemberGone => return Ok(Start::Page(PayOutcome::NotMember)),
        };

        let request = self.ready_request(&new, claims.buyer_id);
        let ready = self
            .recorded(
                order_id,
                "ready",
                Some(request.total_amount),
                self.inner.kakao.ready(&request),
                |r| (format!("tid {}", r.tid), None),
            )
            .await;
        match ready {
            Ok(ready) if store::set_tid(self.db(), order_id, &ready.tid).await? => {
                Ok(Start::Redirect(redirect_for(user_agent, &ready).to_owned()))
            }
            Ok(_) => Ok(Start::Page(PayOutcome::Unavailable)),
            // Whatever went wrong, no buyer was sent to a tid, so nobody can pay it: give the product back.
            Err(_) => {
                self.abandon(
                    order_id,
                    OrderStatus::Pending,
                    CloseReason::ReadyFailed,
                    Watch::End,
                )
                .await?;
                Ok(Start::Page(PayOutcome::PayUnavailable))
            }
        }
    }

    fn ready_request(&self, new: &NewOrder<'_>, buyer_id: MemberId) -> ReadyRequest {
        let base = &self.inner.public_url;
        let reference = new.reference;
        ReadyRequest {
            partner_order_id: reference.to_owned(),
            // A member id: no personal data goes to Kakao Pay.
            partner_user_id: buyer_id.to_string(),
            item_name: new.item_name.to_owned(),
            item_code: Some(new.product_id.to_string()),
            quantity: 1,
            total_amount: new.amount,
            tax_free_amount: 0,
            vat_amount: None,
            approval_url: format!("{base}/pay/approve/{reference}"),
            cancel_url: format!("{base}/pay/cancel/{reference}"),
            fail_url: format!("{base}/pay/fail/{reference}"),
            payment_method_type: None,
            install_month: None,
        }
    }

    /// `GET /pay/approve/{reference}?pg_token=…`: approves at most once per order, whatever the number of
    /// hits; every hit shows the order's resulting state.
    pub async fn approve(&self, reference: &str, pg_token: &str) -> Result<PayOutcome, sqlx::Error> {
        let Some(order) = store::by_reference(self.db(), reference).await? else {
            return Ok(PayOutcome::NotFound);
        };
        if order.status == OrderStatus::Pending {
            if pg_token.is_empty()
                || pg_token.len() > crate::kakaopay::MAX_TOKEN_CHARS
                || !pg_token.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Ok(PayOutcome::NotApproved);
            }
            if store::begin_approve(self.db(), order.id).await? {
                self.call_approve(&order, pg_token).await?;
            }
        }
        let order = self.wait_while_approving(order.id).await?;
        Ok(PayOutcome::for_order(&order))
    }

    /// The one approve call of an order this caller moved to `approving`.
    async fn call_approve(&self, order: &Order, pg_token: &str) -> Result<(), sqlx::Error> {
        let tid = order.tid.clone().unwrap_or_default();
        let request = ApproveRequest {
            tid,
            partner_order_id: order.reference.clone(),
            partner_user_id: order.buyer_id.to_string(),
            pg_token: pg_token.to_owned(),
            total_amount: Some(order.amount),
        };
        let approved = self
            .recorded(
                order.id,
                "approve",
                request.total_amount,
                self.inner.kakao.approve(&request),
                |a| {
                    (
                        format!("aid {} amount {}", a.aid, a.amount.total),
                        Some(a.amount.total),
                    )
                },
            )
            .await;
        match approved {
            Ok(approval) => {
                let method = approval
                    .payment_method_type
                    .as_ref()
                    .map(|m| m.as_str().to_owned());
                let outcome = store::mark_paid(
                    self.db(),
                    &self.inner.catalog,
                    self.outbox(),
                    order.id,
                    OrderStatus::Approving,
                    Some(&approval.aid),
                    method.as_deref(),
                )
                .await?;
                self.after_paid(order, outcome).await?;
                if approval.amount.total != order.amount {
                    // Kakao checks the amount against ready's; should it ever differ, the money goes back.
                    tracing::error!(order = order.id.get(), "approved amount differs from the order's");
                    if store::begin_refund(
                        self.db(),
                        &self.inner.catalog,
                        self.outbox(),
                        order.id,
                        store::Refunder::Operator(CloseReason::AmountMismatch),
                    )
                    .await?
                    {
                        self.refund(order.id).await?;
                    }
                }
                Ok(())
            }
            // Refused, unreachable or unknown: Kakao Pay's order status decides.
            Err(e) => self.settle_approving(order, e.is_ambiguous()).await,
        }
    }

    /// Shows what a concurrent approve produced: waits (bounded) while another request is approving.
    async fn wait_while_approving(&self, id: OrderId) -> Result<Order, sqlx::Error> {
        // Long enough for an approve and an order call to time out.
        let patience = self.inner.kakao_timeout() * 2 + Duration::from_millis(500);
        let started = Instant::now();
        loop {
            let order = store::get(self.db(), id).await?.ok_or(sqlx::Error::RowNotFound)?;
            if order.status != OrderStatus::Approving || started.elapsed() >= patience {
                return Ok(order);
            }
            tokio::time::sleep(APPROVE_POLL).await;
        }
    }

    /// After an approve whose answer did not say "approved": ask Kakao Pay and act on its status.
    ///
    /// `unanswered` when the approve may have gone through all the same (its answer was lost): Kakao Pay
    /// may still be working on it even when `order` says the buyer is paying, so the order is watched
    /// from now on — closed or not — until Kakao Pay reports a final status.
    pub(super) async fn settle_approving(&self, order: &Order, unanswered: bool) -> Result<(), sqlx::Error> {
        let from = OrderStatus::Approving;
        if unanswered {
            store::approve_unsettled(self.db(), order.id).await?;
        }
        match self.ask(order).await {
            Some(state) if state.is_paid() => {
                let outcome = store::mark_paid(
                    self.db(),
                    &self.inner.catalog,
                    self.outbox(),
                    order.id,
                    from,
                    None,
                    None,
                )
                .await?;
                self.after_paid(order, outcome).await
            }
            Some(state) if state.is_in_progress() && !self.hold_expired(order) => {
                store::back_to_pending(self.db(), order.id).await.map(drop)
            }
            Some(state) if state.is_in_progress() => {
                let watch = Watch::AskAgainAt(first_look(now_ms()));
                self.abandon(order.id, from, CloseReason::Expired, watch).await
            }
            Some(state) if state.is_abandoned() || state.is_cancelled() => {
                self.abandon(order.id, from, reason_for(&state), Watch::End).await
            }
            // Unknown status or no answer: leave it `approving` for the reconciler.
            _ => Ok(()),
        }
    }

    /// After `mark_paid`: a product that could not be taken for the buyer means their money goes back.
    pub(super) async fn after_paid(&self, order: &Order, outcome: PaidOutcome) -> Result<(), sqlx::Error> {
        match outcome {
            PaidOutcome::Paid => {
                tracing::info!(order = order.id.get(), "order paid");
            }
            PaidOutcome::MustRefund => {
                tracing::warn!(
                    order = order.id.get(),
                    "paid for a product no longer held; refunding"
                );
                self.refund(order.id).await?;
            }
            PaidOutcome::NotInState => {}
        }
        Ok(())
    }

    /// `GET /pay/cancel/{reference}` and `/pay/fail/{reference}`: anyone can open these URLs, so Kakao
    /// Pay's status is asked first, and the hold is released only when it says the buyer did not pay.
    pub async fn aborted(&self, reference: &str) -> Result<PayOutcome, sqlx::Error> {
        let Some(order) = store::by_reference(self.db(), reference).await? else {
            return Ok(PayOutcome::NotFound);
        };
        if order.status != OrderStatus::Pending || order.tid.is_none() {
            return Ok(PayOutcome::for_order(&order));
        }
        match self.ask(&order).await {
            Some(state) if state.is_abandoned() || state.is_cancelled() => {
                self.abandon(order.id, OrderStatus::Pending, reason_for(&state), Watch::End)
                    .await?;
            }
            Some(state) if state.is_in_progress() => return Ok(PayOutcome::StillOpen),
            // Paid (the approve redirect will record it), unknown, or no answer: release nothing.
            _ => return Ok(PayOutcome::Checking),
        }
        let order = store::get(self.db(), order.id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok(PayOutcome::for_order(&order))
    }

    /// Refunds an order already moved to `refund_pending` (its product already released).
    ///
    /// A cancel that is refused or unanswered is checked with `order`: `CANCEL_PAYMENT` means it is done
    /// (perhaps by an earlier attempt whose answer was lost). Anything else leaves the order
    /// `refund_pending` for the reconciler — visible, never silently dropped.
    pub async fn refund(&self, order_id: OrderId) -> Result<RefundOutcome, sqlx::Error> {
        let order = store::get(self.db(), order_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        if order.status != OrderStatus::RefundPending {
            return Ok(if order.status == OrderStatus::Refunded {
                RefundOutcome::Refunded
            } else {
                RefundOutcome::Pending
            });
        }
        let Some(tid) = order.tid.clone() else {
            tracing::error!(order = order.id.get(), "refund of an order without a tid");
            return Ok(RefundOutcome::Pending);
        };
        let request = CancelRequest {
            // Kakao refuses if less than the full amount is left: a second refund can never go through.
            cancel_available_amount: Some(order.amount),
            ..CancelRequest::full(tid, order.amount, 0)
        };
        let cancelled = self
            .recorded(
                order.id,
                "cancel",
                Some(request.cancel_amount),
                self.inner.kakao.cancel(&request),
                |c| {
                    let refunded = Some(c.approved_cancel_amount.total).filter(|&won| won > 0);
                    (format!("status {}", c.status), refunded)
                },
            )
            .await;
        let done = match cancelled {
            Ok(c) => c.status.is_cancelled(),
            Err(_) => self.ask(&order).await.is_some_and(|s| s.is_cancelled()),
        };
        if done && store::finish_refund(self.db(), self.outbox(), order.id).await? {
            tracing::info!(order = order.id.get(), "order refunded");
            return Ok(RefundOutcome::Refunded);
        }
        let now = store::get(self.db(), order.id).await?.map(|o| o.status);
        Ok(if now == Some(OrderStatus::Refunded) {
            RefundOutcome::Refunded
        } else {
            tracing::warn!(
                order = order.id.get(),
                "refund not confirmed; left refund_pending"
            );
            RefundOutcome::Pending
        })
    }

    /// Kakao Pay's status of the order's payment (recorded), or `None` when it cannot be had now.
    pub(super) async fn ask(&self, order: &Order) -> Option<PaymentState> {
        let tid = order.tid.as_deref()?;
        self.recorded(order.id, "order", None, self.inner.kakao.order(tid), |s| {
            (format!("status {}", s.status), s.amount.map(|a| a.total))
        })
        .await
        .ok()
        .map(|s| s.status)
    }

    pub(super) async fn abandon(
        &self,
        id: OrderId,
        from: OrderStatus,
        reason: CloseReason,
        watch: Watch,
    ) -> Result<(), sqlx::Error> {
        let (catalog, outbox) = (&self.inner.catalog, self.outbox());
        if store::abandon(self.db(), catalog, outbox, id, from, reason, watch).await? {
            tracing::info!(order = id.get(), reason = reason.key(), "order abandoned");
        }
        Ok(())
    }

    pub(super) fn hold_expired(&self, order: &Order) -> bool {
        order.hold_expires_at <= now_ms()
    }

    /// How long an `approving` or `refund_pending` order may go untouched before it counts as stuck:
    /// longer than an approve (or cancel) plus an order call could take.
    pub(super) fn stale_after_ms(&self) -> i64 {
        i64::try_from((self.inner.kakao_timeout() * 3).as_millis()).unwrap_or(i64::MAX) + 5_000
    }

    pub(super) fn db_handle(&self) -> &Db {
        self.db()
    }

    pub(super) fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Where the payment flow's changes write their notices.
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// How long after the tracking number an unconfirmed purchase confirms itself.
    pub fn auto_confirm_after(&self) -> std::time::Duration {
        self.inner.auto_confirm_after
    }

    /// Runs one Kakao Pay call and records it in `payment_events`. A failure to record is logged and does
    /// not change the call's result: the order's own status is what the flow trusts.
    ///
    /// `describe` gives the answer's detail (for operators reading the table; it may hold Kakao Pay's
    /// ids, so admin answers leave it out) and the won it reports, if any; otherwise the won the call
    /// `asked` for is recorded, so even a failed call shows its amount.
    async fn recorded<T>(
        &self,
        order_id: OrderId,
        call: &'static str,
        asked: Option<i64>,
        future: impl Future<Output = Result<T, PayError>>,
        describe: impl FnOnce(&T) -> (String, Option<i64>),
    ) -> Result<T, PayError> {
        let started = Instant::now();
        let result = future.await;
        let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (outcome, (detail, reported)) = match &result {
            Ok(answer) => ("ok", describe(answer)),
            Err(e @ PayError::Rejected { .. }) => ("rejected", (e.to_string(), None)),
            Err(e @ PayError::Unavailable(_)) => ("unavailable", (e.to_string(), None)),
            Err(e @ PayError::Ambiguous(_)) => ("ambiguous", (e.to_string(), None)),
            Err(e @ PayError::InvalidRequest(_)) => ("invalid", (e.to_string(), None)),
        };
        crate::metrics::global().kakaopay_call(call, outcome);
        let event = store::NewEvent {
            call,
            outcome,
            detail: &detail,
            amount: reported.or(asked),
            elapsed_ms,
        };
        if let Err(e) = store::record_event(self.db(), order_id, &event).await {
            tracing::error!(order = order_id.get(), call, error = %e, "could not record a payment event");
        }
        result
    }
}

impl Inner {
    fn kakao_timeout(&self) -> Duration {
        self.kakao.timeout()
    }
}

/// The close reason a final Kakao Pay status stands for.
fn reason_for(state: &PaymentState) -> CloseReason {
    match state {
        PaymentState::QuitPayment => CloseReason::Quit,
        _ => CloseReason::Failed,
    }
}
