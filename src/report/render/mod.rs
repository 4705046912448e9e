//! Renderers: each turns a [`Summary`](super::summary::Summary) into one output format and
//! nothing else, so every format shows the same numbers.

pub mod chart;
pub mod html;
pub mod markdown;
pub mod table;

/// ARNs without their constant prefix: `arn:aws:sts::111122223333:assumed-role/R/s` →
/// `111122223333:assumed-role/R/s` (the full ARN stays in the tooltip and the events).
pub fn short_key(key: &str) -> String {
    key.split(" → ")
        .map(|part| {
            let mut it = part.splitn(5, ':');
            match (it.next(), it.next(), it.next(), it.next(), it.next()) {
                // arn : partition : service : region : account:resource
                (Some("arn"), Some(_), Some("iam" | "sts"), Some(_), Some(rest)) => {
                    rest.to_string()
                }
                _ => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_key_drops_the_constant_arn_prefix() {
        assert_eq!(
            short_key("arn:aws:sts::111122223333:assumed-role/R/s"),
            "111122223333:assumed-role/R/s"
        );
        assert_eq!(short_key("111 → 222"), "111 → 222");
        assert_eq!(short_key("arn:aws:s3:::bucket"), "arn:aws:s3:::bucket");
    }
}
