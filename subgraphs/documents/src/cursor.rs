//! Opaque cursors. Documents are listed newest first, which is `id` descending (ids grow with
//! creation), so a cursor is the id of a page's last document: the next page is everything
//! older, whatever was added meanwhile.

use braid_kit::ClientError;
use braid_kit::connection::{self, invalid_cursor};

/// The position is spelled `doc:<id>`, not JSON: cursors handed out before keep working.
const PREFIX: &str = "doc:";

pub fn encode(id: i64) -> String {
    connection::encode_text(&format!("{PREFIX}{id}"))
}

/// The id a cursor names; anything this API did not return is `INVALID_CURSOR`.
pub fn decode(text: &str) -> Result<i64, ClientError> {
    let position = connection::decode_text(text, "after")?;
    position
        .strip_prefix(PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|id| *id >= 1)
        .ok_or_else(|| invalid_cursor("after"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_kit::error::Code;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode(&encode(42)).unwrap(), 42);
        assert_eq!(encode(42), "ZG9jOjQy", "the wire format is unchanged");
        let [zero, word, other] = ["doc:0", "doc:x", "product:1"].map(connection::encode_text);
        for bad in ["", "not base64!", "e30", &"A".repeat(500), &zero, &word, &other] {
            assert_eq!(decode(bad).unwrap_err().code, Code::InvalidCursor, "{bad}");
        }
    }
}
