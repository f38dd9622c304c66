//! Counters read back from the Prometheus text format, as a dashboard would sum them.

/// The sum of every sample of `series` in `text`: a metric name, optionally with labels
/// (`name{k="v",...}`) that a sample must all carry among its own. 0 when none matches.
pub fn sum(text: &str, series: &str) -> u64 {
    let (name, wanted) = split(series);
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (sample, value) = line.rsplit_once(' ')?;
            let (n, labels) = split(sample);
            if n != name || !wanted.iter().all(|w| labels.contains(w)) {
                return None;
            }
            value.parse::<f64>().ok()
        })
        .sum::<f64>() as u64
}

/// `name{a="1",b="2"}` into the name and its `k="v"` pairs.
fn split(series: &str) -> (&str, Vec<&str>) {
    match series.split_once('{') {
        Some((name, rest)) => {
            let labels = rest.trim_end_matches('}');
            (name, labels.split(',').filter(|l| !l.is_empty()).collect())
        }
        None => (series, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::sum;

    const TEXT: &str = "# TYPE hits_total counter\n\
        hits_total{cache=\"product\",tier=\"near\"} 3\n\
        hits_total{cache=\"product\",tier=\"shared\"} 4\n\
        hits_total{cache=\"order\",tier=\"near\"} 10\n\
        hits_total_other 100\n\
        misses_total 2\n";

    #[test]
    fn samples_of_the_series_are_summed_by_name_and_labels() {
        assert_eq!(sum(TEXT, "hits_total"), 17);
        assert_eq!(sum(TEXT, "hits_total{cache=\"product\"}"), 7);
        assert_eq!(sum(TEXT, "hits_total{tier=\"near\",cache=\"product\"}"), 3);
        assert_eq!(sum(TEXT, "misses_total"), 2);
        assert_eq!(sum(TEXT, "hits_total{cache=\"none\"}"), 0);
        assert_eq!(sum(TEXT, "absent_total"), 0);
    }
}
