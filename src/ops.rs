//! Operations endpoints: liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// The process is up and serving HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The dependencies answer: the database (and it accepts writes), and Redis when configured. 503 when
/// one does not. Whether the database accepts writes is learned by a real write at most every
/// [`WRITE_PROBE_INTERVAL`](crate::db::WRITE_PROBE_INTERVAL), not by one write per probe.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (db, writable, cache) = tokio::join!(
        state.db.ping(),
        state.write_probe.check(&state.db),
        state.cache.ping()
    );
    let ok = db.is_ok() && writable.is_ok() && cache.is_ok();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let describe =
        |r: Result<(), String>| r.map_or_else(|e| json!({"ok": false, "error": e}), |()| json!({"ok": true}));
    let mut database = describe(db.map_err(|e| e.to_string()));
    database["backend"] = json!(state.db.backend());
    database["writable"] = match writable {
        Ok(()) => json!(true),
        Err(e) => {
            if database["ok"] == json!(true) {
                database["ok"] = json!(false);
                database["error"] = json!(format!("does not accept writes: {e}"));
            }
            json!(false)
        }
    };
    let mut cache_status = describe(cache.map_err(|e| e.to_string()));
    cache_status["backend"] = json!(state.cache.backend());
    (
        status,
        Json(json!({ "ready": ok, "database": database, "cache": cache_status })),
    )
}
