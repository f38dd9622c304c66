//! Relay-style connections every subgraph shares: one page type on async-graphql's
//! `connection` module, page-size checks and opaque keyset cursors.

use async_graphql::connection::{self as relay, Edge};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ClientError, Code};

/// A page of `N`: `{N}Connection` with `edges` (`{N}Edge`: `cursor`, `node`), `nodes`,
/// `pageInfo` (async-graphql's shareable `PageInfo`) and the fields of `T` (`totalCount`).
pub type Connection<N, T = Counted> = relay::Connection<String, N, T>;

/// Builds a page from its nodes with their cursors; `T` says how many match over all pages.
pub fn page<N: OutputType, T: async_graphql::ObjectType>(
    nodes: impl IntoIterator<Item = (String, N)>,
    has_previous_page: bool,
    has_next_page: bool,
    total: T,
) -> Connection<N, T> {
    let mut page = Connection::with_additional_fields(has_previous_page, has_next_page, total);
    page.edges.extend(nodes.into_iter().map(|(cursor, node)| Edge::new(cursor, node)));
    page
}

/// `totalCount` known when the page was read.
pub struct Counted(pub u64);

#[Object]
impl Counted {
    /// How many match over all pages.
    async fn total_count(&self) -> u64 {
        self.0
    }
}

/// `totalCount` counted only when a client asks for it.
pub struct Uncounted<C>(pub C);

/// What an [`Uncounted`] page counts with.
pub trait Count: Send + Sync + 'static {
    /// How many match over all pages.
    fn count(&self, ctx: &Context<'_>) -> impl Future<Output = async_graphql::Result<u64>> + Send;
}

#[Object]
impl<C: Count> Uncounted<C> {
    /// How many match over all pages (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        self.0.count(ctx).await
    }
}

/// Cursors longer than this were not made by us.
const MAX_CURSOR: usize = 1024;

/// Encodes a cursor's position (a sort key and an id, say) as an opaque string.
pub fn encode<T: Serialize>(position: &T) -> String {
    encode_text(&serde_json::to_string(position).expect("cursor positions serialize"))
}

/// Decodes what [`encode`] made; anything else is `INVALID_CURSOR`, naming `field`.
pub fn decode<T: DeserializeOwned>(text: &str, field: &str) -> Result<T, ClientError> {
    serde_json::from_str(&decode_text(text, field)?).map_err(|_| invalid_cursor(field))
}

/// Encodes a position a subgraph spells itself, not as JSON (an older cursor format, say).
pub fn encode_text(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// Decodes what [`encode_text`] made; anything else is `INVALID_CURSOR`, naming `field`.
pub fn decode_text(text: &str, field: &str) -> Result<String, ClientError> {
    if text.len() > MAX_CURSOR {
        return Err(invalid_cursor(field));
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid_cursor(field))?;
    String::from_utf8(bytes).map_err(|_| invalid_cursor(field))
}

/// The `INVALID_CURSOR` error for the cursor argument `field`.
pub fn invalid_cursor(field: &str) -> ClientError {
    ClientError {
        code: Code::InvalidCursor,
        message: format!("the cursor `{field}` is not one this API returned"),
        field: Some(field.to_string()),
    }
}

/// Checks a requested page size: `1..=max`, else `BAD_USER_INPUT` naming `first`.
pub fn page_size(first: i32, max: i32) -> Result<u64, ClientError> {
    if (1..=max).contains(&first) {
        Ok(first as u64)
    } else {
        Err(ClientError::bad_input("first", format!("first must be between 1 and {max}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let position = ("2026-12-03T10:00:00Z".to_string(), "o-1".to_string());
        let text = encode(&position);
        assert_eq!(decode::<(String, String)>(&text, "after").unwrap(), position);
        for bad in ["", "not base64!", "e30", &"A".repeat(5000)] {
            let err = decode::<(String, String)>(bad, "after").unwrap_err();
            assert_eq!(err.code, Code::InvalidCursor, "{bad}");
        }
    }

    #[test]
    fn text_cursors_round_trip_and_refuse_garbage() {
        assert_eq!(decode_text(&encode_text("doc:42"), "after").unwrap(), "doc:42");
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe]);
        for bad in ["not base64!", &not_utf8, &"A".repeat(5000)] {
            let err = decode_text(bad, "after").unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (Code::InvalidCursor, Some("after")), "{bad}");
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(20, 100).unwrap(), 20);
        for bad in [0, -1, 101] {
            assert_eq!(page_size(bad, 100).unwrap_err().code, Code::BadUserInput);
        }
    }
}
