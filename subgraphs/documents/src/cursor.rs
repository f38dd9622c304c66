//! Opaque cursors. Documents are listed newest first, which is `id` descending (ids grow with
//! creation), so a cursor is the id of a page's last document: the next page is everything
//! older, whatever was added meanwhile.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use braid_kit::ClientError;
use braid_kit::error::codes;

const PREFIX: &str = "doc:";

pub fn encode(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{id}"))
}

/// The id a cursor names; anything this API did not return is `INVALID_CURSOR`.
pub fn decode(text: &str) -> Result<i64, ClientError> {
    let invalid = || ClientError::new(codes::INVALID_CURSOR, "the cursor `after` is not one this API returned");
    if text.len() > 64 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let id = text.strip_prefix(PREFIX).and_then(|n| n.parse::<i64>().ok()).ok_or_else(invalid)?;
    if id < 1 {
        return Err(invalid());
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode(&encode(42)).unwrap(), 42);
        let zero = URL_SAFE_NO_PAD.encode("doc:0");
        let word = URL_SAFE_NO_PAD.encode("doc:x");
        let other = URL_SAFE_NO_PAD.encode("product:1");
        for bad in ["", "not base64!", "e30", &"A".repeat(500), &zero, &word, &other] {
            assert_eq!(decode(bad).unwrap_err().code, codes::INVALID_CURSOR, "{bad}");
        }
    }
}
