//! User text (names, titles, address lines, tags), checked by one rule in every subgraph:
//! trimmed, at most so many characters, no control characters.
//!
//! Free-form text (a description, a document body) may hold line breaks and is not for here.

use crate::error::ClientError;

/// `value` trimmed, if not empty and [`optional`] accepts it; else `BAD_USER_INPUT` naming `field`.
pub fn required(value: &str, field: &str, max: usize) -> Result<String, ClientError> {
    let value = optional(value, field, max)?;
    if value.is_empty() {
        return Err(ClientError::bad_input(field, format!("{field} cannot be empty")));
    }
    Ok(value)
}

/// `value` trimmed (maybe empty), if at most `max` characters, none a control; else `BAD_USER_INPUT`.
pub fn optional(value: &str, field: &str, max: usize) -> Result<String, ClientError> {
    let value = value.trim();
    // Characters, not bytes: a limit means the same in every script.
    if value.chars().count() > max {
        return Err(ClientError::bad_input(field, format!("{field} is longer than {max} characters")));
    }
    // Line breaks, escapes and NULs inside a one-line value only ever break what shows it.
    if value.chars().any(char::is_control) {
        return Err(ClientError::bad_input(field, format!("{field} contains control characters")));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn refused(result: Result<String, ClientError>) -> (String, Code) {
        let err = result.unwrap_err();
        (err.field.unwrap_or_default(), err.code)
    }

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        assert_eq!(required("  Ada Lovelace \t", "name", 200).unwrap(), "Ada Lovelace");
        assert_eq!(required(&"é".repeat(5), "name", 5).unwrap(), "é".repeat(5));
        assert_eq!(optional("   ", "title", 10).unwrap(), "");
        assert_eq!(refused(required(&"é".repeat(6), "name", 5)), ("name".into(), Code::BadUserInput));
    }

    #[test]
    fn empty_or_control_characters_are_refused_naming_the_field() {
        for bad in ["", "   ", "\n\t"] {
            assert_eq!(refused(required(bad, "title", 10)), ("title".into(), Code::BadUserInput), "{bad:?}");
        }
        for bad in ["a\nb", "a\u{0}b", "bell\u{7}", "del\u{7f}", "c1\u{85}x"] {
            assert_eq!(refused(required(bad, "name", 200)), ("name".into(), Code::BadUserInput), "{bad:?}");
            assert_eq!(refused(optional(bad, "line2", 200)), ("line2".into(), Code::BadUserInput), "{bad:?}");
        }
    }
}
