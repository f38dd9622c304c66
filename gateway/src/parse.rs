//! Stage: parse the operation text, after cheap checks that keep hostile text away from the
//! recursive parser, and pick the operation to run.

use graphql_tools::static_graphql::query::{Definition, Document, OperationDefinition};
use hive_router_query_planner::utils::parsing::safe_parse_operation_with_token_limit;

use crate::config::LimitsConfig;
use crate::error::{Code, RequestError};

/// Parses `text`, refusing nesting deeper than the depth limit allows before the parser sees it.
pub fn parse(text: &str, limits: &LimitsConfig) -> Result<Document, RequestError> {
    // Selection depth N needs N+1 braces; arguments and input objects add a few more levels.
    let allowed = limits.max_depth + 16;
    if nesting(text) > allowed {
        return Err(RequestError::bad(
            Code::MaxDepthExceeded,
            format!("the operation is nested deeper than the maximum depth of {}", limits.max_depth),
        ));
    }
    safe_parse_operation_with_token_limit(text, limits.max_tokens).map_err(|error| {
        let message = error.to_string();
        if message.contains("Recursion limit exceeded") {
            RequestError::bad(
                Code::MaxDepthExceeded,
                format!("the operation is nested deeper than the maximum depth of {}", limits.max_depth),
            )
        } else if message.contains("Token limit exceeded") {
            RequestError::bad(
                Code::MaxTokensExceeded,
                format!("the operation has more than the maximum of {} tokens", limits.max_tokens),
            )
        } else {
            RequestError::bad(Code::GraphqlParseFailed, format!("syntax error: {}", message.trim()))
        }
    })
}

/// The deepest nesting of `{`, `(` and `[` outside strings and comments.
fn nesting(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The operation named `name`, or the only one when no name is given.
pub fn select_operation<'d>(
    document: &'d Document,
    name: Option<&str>,
) -> Result<&'d OperationDefinition, RequestError> {
    let mut operations = document.definitions.iter().filter_map(|d| match d {
        Definition::Operation(o) => Some(o),
        _ => None,
    });
    match name {
        Some(name) => operations
            .find(|o| operation_name(o) == Some(name))
            .ok_or_else(|| RequestError::bad(Code::OperationNotFound, format!("unknown operation named \"{name}\""))),
        None => {
            let first = operations
                .next()
                .ok_or_else(|| RequestError::bad(Code::OperationNotFound, "the document contains no operation"))?;
            if operations.next().is_some() {
                return Err(RequestError::bad(
                    Code::OperationNotFound,
                    "the document contains several operations: operationName is required",
                ));
            }
            Ok(first)
        }
    }
}

pub fn operation_name(operation: &OperationDefinition) -> Option<&str> {
    match operation {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(nesting("{ a(b: \"{{{{\") { c } } # {{{{"), 2);
        assert_eq!(nesting("{ a(b: \"\"\"{{ \\\"\"\" {{\"\"\") }"), 2);
        assert_eq!(nesting(&"{a".repeat(100)), 100);
    }

    #[test]
    fn deep_text_is_refused_before_parsing() {
        let text = format!("{}{}", "{a".repeat(10_000), "}".repeat(10_000));
        let error = parse(&text, &LimitsConfig::default()).unwrap_err();
        assert_eq!(error.errors[0].code(), Some(Code::MaxDepthExceeded.as_str()));
    }

    #[test]
    fn token_limit_is_its_own_code() {
        let limits = LimitsConfig { max_tokens: 10, ..LimitsConfig::default() };
        let error = parse("{ a b c d e f g h i j k l m n }", &limits).unwrap_err();
        assert_eq!(error.errors[0].code(), Some(Code::MaxTokensExceeded.as_str()));
    }
}
