//! Opaque keyset cursors: the sort key and id of the last row of a page.

use braid_kit::ClientError;
use braid_kit::connection::{self, invalid_cursor};
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
        connection::encode(self)
    }

    /// Decodes a cursor made for `sort`; anything else is `INVALID_CURSOR`.
    pub fn decode(text: &str, sort: ProductSort) -> Result<Self, ClientError> {
        let cursor: Self = connection::decode(text, "after")?;
        let key_fits = matches!(
            (sort, &cursor.key),
            (ProductSort::Name, SortKey::Text(_))
                | (ProductSort::PriceAsc | ProductSort::PriceDesc, SortKey::Number(_))
        );
        if cursor.sort != sort {
            let message = "the cursor was made for another sort order".to_string();
            return Err(ClientError { message, ..invalid_cursor("after") });
        }
        if !key_fits || cursor.id.len() > 64 {
            return Err(invalid_cursor("after"));
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_kit::error::Code;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { sort: ProductSort::PriceDesc, key: SortKey::Number(1299), id: "abc".into() };
        assert_eq!(Cursor::decode(&c.encode(), ProductSort::PriceDesc).unwrap(), c);
        for bad in ["", "not base64!", "e30", &"A".repeat(5000)] {
            assert_eq!(Cursor::decode(bad, ProductSort::Name).unwrap_err().code, Code::InvalidCursor, "{bad}");
        }
        assert_eq!(Cursor::decode(&c.encode(), ProductSort::Name).unwrap_err().code, Code::InvalidCursor);
    }

    #[test]
    fn the_wire_format_is_unchanged() {
        // Base64url (no padding) of the position's JSON, as before the kit encoded it.
        let c = Cursor { sort: ProductSort::Name, key: SortKey::Text("tea".into()), id: "p-1".into() };
        assert_eq!(c.encode(), "eyJzIjoiTmFtZSIsImsiOiJ0ZWEiLCJpIjoicC0xIn0");
    }
}
