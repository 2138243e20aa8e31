//! The photo pipeline behind a product: a set's photos are downloaded, checked and stored in the
//! background, after the skill that received them has answered (Kakao's secure-image URLs live only
//! minutes, and a skill has seconds). The outcome, with each failed photo's place and reason, is recorded
//! on the set, where the seller's views read it.

use std::sync::Arc;

use crate::db::Db;
use crate::images::Images;
use crate::products::catalog::Catalog;
use crate::products::model::PhotoFailure;
use crate::products::store::{self, NewPhoto};

/// Downloads, checks and stores the photos of a set, then records the outcome. Runs after the skill has
/// answered; each failure is recorded with the photo's place and reason (and shown to the seller), never
/// lost.
pub async fn ingest(db: Db, images: Images, catalog: Arc<Catalog>, set_id: i64, urls: Vec<String>) {
    let results = images.ingest_all(&urls).await;
    let mut photos = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (position, result) in results.into_iter().enumerate() {
        match result {
            Ok(stored) => photos.push(NewPhoto {
                original_key: stored.original_key,
                thumb_key: stored.thumb_key,
                content_type: stored.content_type.to_owned(),
                width: stored.width,
                height: stored.height,
                bytes: stored.bytes,
            }),
            Err(err) => {
                tracing::warn!(set_id, position, reason = err.reason(), error = %err, "photo not stored");
                failures.push(PhotoFailure {
                    position,
                    reason: err.reason().to_owned(),
                    message: err.user_message().into_owned(),
                });
            }
        }
    }
    match store::finish_photo_set(&db, &catalog, set_id, &photos, &failures).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(set_id, "photo set was no longer pending; outcome dropped"),
        Err(err) => tracing::error!(set_id, error = %err, "photo set outcome not recorded"),
    }
}
