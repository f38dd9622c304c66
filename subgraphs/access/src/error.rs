//! Errors of a permission lookup.

/// Why a lookup could not answer (callers deny on error: never allow by default).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AccessError {
    /// The source (database or permissions service) failed.
    #[error("permission source: {0}")]
    Source(String),
    /// The viewer is not known (deleted, or never existed).
    #[error("unknown viewer {0}")]
    UnknownViewer(i64),
}

#[cfg(feature = "db")]
impl From<sea_orm::DbErr> for AccessError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Source(e.to_string())
    }
}
