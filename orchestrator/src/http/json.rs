//! A JSON body extractor whose errors name the field path (`spec.mode.replicated.replicas`)
//! and say plainly what is wrong, instead of a generic deserialization message; and a query
//! extractor whose errors are the same JSON as every other error; and the response of the
//! newline-delimited JSON streams.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct Body<T>(pub T);

/// A streamed `application/x-ndjson` answer, one JSON value per line.
pub fn ndjson<S>(lines: S) -> axum::response::Response
where
    S: futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static,
{
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let message = format!("cannot read request body: {e}");
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(e.status(), "payload_too_large", message)
            } else {
                ApiError::bad_request(message)
            }
        })?;
        parse(&bytes, "").map(Body)
    }
}

/// Query parameters; a bad one is a JSON 400 (`Failed to deserialize query string: all:
/// provided string was not `true` or `false``), not axum's plain text.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Parses `bytes`; error field paths are prefixed with `prefix` (`"spec."` when the body is
/// itself a spec).
pub fn parse<T: DeserializeOwned>(bytes: &[u8], prefix: &str) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let leaf = path.rsplit('.').next().unwrap_or(&path).to_string();
        let text = inner.to_string();
        let message = if text.contains("invalid value: integer `-") {
            format!("{leaf} must be >= 0")
        } else if path == "." {
            format!("invalid request body: {text}")
        } else {
            format!("{prefix}{path}: {text}")
        };
        if path == "." {
            ApiError::bad_request(message)
        } else {
            ApiError::invalid(format!("{prefix}{path}"), message)
        }
    })
}
