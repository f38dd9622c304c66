//! Opaque keyset cursors: the sort key and id of the last row of a page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use braid_kit::ClientError;
use braid_kit::error::codes;
use serde::{Deserialize, Serialize};

use crate::record::ProductRecord;

/// The orders a product list can have; each ends with `id` so it is total and stable.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ProductSort {
    /// By name, A to Z.
    #[default]
    Name,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Text(String),
    Number(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: ProductSort,
    #[serde(rename = "k")]
    pub key: SortKey,
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    pub fn after(sort: ProductSort, p: &ProductRecord) -> Self {
        let key = match sort {
            ProductSort::Name => SortKey::Text(p.name.to_lowercase()),
            ProductSort::PriceAsc | ProductSort::PriceDesc => SortKey::Number(p.price_cents),
        };
        Self { sort, key, id: p.id.clone() }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursors serialize"))
    }

    /// Decodes a cursor made for `sort`; anything else is `INVALID_CURSOR`.
    pub fn decode(text: &str, sort: ProductSort) -> Result<Self, ClientError> {
        let invalid = || ClientError::new(codes::INVALID_CURSOR, "the cursor `after` is not one this API returned");
        if text.len() > 1024 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let key_fits = matches!(
            (sort, &cursor.key),
            (ProductSort::Name, SortKey::Text(_))
                | (ProductSort::PriceAsc | ProductSort::PriceDesc, SortKey::Number(_))
        );
        if cursor.sort != sort {
            return Err(ClientError::new(codes::INVALID_CURSOR, "the cursor was made for another sort order"));
        }
        if !key_fits || cursor.id.len() > 64 {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { sort: ProductSort::PriceDesc, key: SortKey::Number(1299), id: "abc".into() };
        assert_eq!(Cursor::decode(&c.encode(), ProductSort::PriceDesc).unwrap(), c);
        for bad in ["", "not base64!", "e30", &"A".repeat(5000)] {
            assert_eq!(Cursor::decode(bad, ProductSort::Name).unwrap_err().code, codes::INVALID_CURSOR, "{bad}");
        }
        assert_eq!(Cursor::decode(&c.encode(), ProductSort::Name).unwrap_err().code, codes::INVALID_CURSOR);
    }
}
