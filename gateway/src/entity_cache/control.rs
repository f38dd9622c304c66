//! What a subgraph's `Cache-Control` header allows.

/// The directives of a `Cache-Control` header that decide whether and how an answer is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// `s-maxage`, else `max-age`, in seconds.
    pub max_age: Option<u64>,
    /// Kept per viewer only.
    pub private: bool,
    /// `no-store` or `no-cache`: never kept.
    pub no_store: bool,
}

impl CacheControl {
    /// Reads every `Cache-Control` header of a response; `None` when it has none.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Self> {
        let mut values = headers.get_all(http::header::CACHE_CONTROL).iter().peekable();
        values.peek()?;
        let mut control = Self::default();
        let (mut max_age, mut s_maxage) = (None, None);
        for directive in values.filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')) {
            let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
            let seconds = || value.trim().trim_matches('"').parse::<u64>().ok();
            match name.trim().to_ascii_lowercase().as_str() {
                "max-age" => max_age = seconds(),
                "s-maxage" => s_maxage = seconds(),
                "private" => control.private = true,
                "no-store" | "no-cache" => control.no_store = true,
                _ => {}
            }
        }
        control.max_age = s_maxage.or(max_age);
        Some(control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Option<CacheControl> {
        let mut headers = http::HeaderMap::new();
        for value in values {
            headers.append(http::header::CACHE_CONTROL, value.parse().unwrap());
        }
        CacheControl::from_headers(&headers)
    }

    #[test]
    fn directives_are_read_from_every_header_case_blind() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&["max-age=30"]), Some(CacheControl { max_age: Some(30), ..Default::default() }));
        assert_eq!(
            parse(&["max-age=30, Private", "s-maxage=\"10\""]),
            Some(CacheControl { max_age: Some(10), private: true, no_store: false })
        );
        assert!(parse(&["no-cache"]).unwrap().no_store);
        assert_eq!(parse(&["max-age=soon"]).unwrap().max_age, None);
    }
}
