//! The one place errors become HTTP: a status code and `{"error":{"code","message","field"}}`.

use crate::dispatcher::DispatchError;
use crate::raft::WriteError;
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shoal_api::rest::{ErrorBody, ErrorDetail};
use shoal_api::validate::ValidationError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(message),
            StoreError::AlreadyExists(_) | StoreError::VersionMismatch { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::Backwards { .. } | StoreError::Invalid(_) => ApiError::bad_request(message),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Store(s) => s.into(),
            WriteError::NotLeader { .. } => ApiError::unavailable(e.to_string()),
            WriteError::Raft(m) => ApiError::unavailable(format!("raft: {m}")),
            WriteError::NoQuorum(_) => ApiError::unavailable(e.to_string()),
        }
    }
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::UnknownSession(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unknown_session", e.to_string())
            }
            DispatchError::UnknownNode(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "permission_denied", e.to_string())
            }
            DispatchError::Write(w) => w.into(),
            DispatchError::ShuttingDown => ApiError::unavailable(e.to_string()),
        }
    }
}
