//! Requester Pays: a request to a Requester Pays bucket from anyone but the bucket owner's
//! account must carry `x-amz-request-payer: requester`, else S3 answers 403; anonymous
//! requests are refused outright (S3 user guide, RequesterPaysBuckets and
//! ObjectsinRequesterPaysBuckets: "If x-amz-request-payer is not in the request, Amazon S3
//! returns a 403 error").

use super::rule::{RuleHit, RuleOutcome};
use crate::findings::RootCause;
use crate::policy::Known;
use crate::record::Event;

/// Whether the record shows the caller sent `x-amz-request-payer` (CloudTrail logs it among
/// `requestParameters` or `additionalEventData` when present; keys compared case-blind).
pub fn header_sent(event: &Event) -> bool {
    let has = |v: Option<&serde_json::Value>| {
        v.and_then(|v| v.as_object()).is_some_and(|m| {
            m.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("x-amz-request-payer")
                    && v.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("requester"))
            })
        })
    };
    has(event.request_parameters.as_ref()) || has(event.additional_event_data.as_ref())
}

/// The rule. `requester_pays` is the bucket's `request-payment.json`; `same_account` whether
/// the caller is in the bucket owner's account (`None` when unknown); `anonymous` for
/// unauthenticated callers.
pub fn check(
    requester_pays: &Known<bool>,
    same_account: Option<bool>,
    anonymous: bool,
    header_sent: bool,
) -> RuleOutcome {
    let rp = match requester_pays {
        Known::Known(false) => return RuleOutcome::Clear,
        Known::Known(true) => true,
        Known::Unknown(why) => {
            // Only worth saying when the request could have been refused for it.
            if header_sent || same_account == Some(true) {
                return RuleOutcome::Clear;
            }
            return RuleOutcome::Unknown(format!("request-payment setting of the bucket: {why}"));
        }
    };
    debug_assert!(rp);
    if anonymous {
        return RuleOutcome::Fires(RuleHit::setting(
            RootCause::RequesterPays,
            "the bucket is Requester Pays, which refuses anonymous requests".to_owned(),
        ));
    }
    match same_account {
        Some(true) => RuleOutcome::Clear,
        _ if header_sent => RuleOutcome::Clear,
        Some(false) => RuleOutcome::Fires(RuleHit::setting(
            RootCause::RequesterPays,
            "the bucket is Requester Pays and the request from another account did not send x-amz-request-payer: requester".to_owned(),
        )),
        None => RuleOutcome::Unknown(
            "the bucket owner's account (to tell whether the caller must pay)".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RequesterPaysBuckets: a non-owner request without the header gets 403.
    #[test]
    fn cross_account_without_header_fires() {
        let o = check(&Known::Known(true), Some(false), false, false);
        assert!(matches!(o, RuleOutcome::Fires(h) if h.root_cause == RootCause::RequesterPays));
    }

    /// Bucket owners need not send the header; a caller that sent it passes.
    #[test]
    fn owner_or_header_is_clear() {
        assert_eq!(
            check(&Known::Known(true), Some(true), false, false),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(&Known::Known(true), Some(false), false, true),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(&Known::Known(false), Some(false), false, false),
            RuleOutcome::Clear
        );
    }

    /// "If you enable Requester Pays on a bucket, anonymous access to that bucket is not allowed."
    #[test]
    fn anonymous_fires() {
        assert!(matches!(
            check(&Known::Known(true), None, true, false),
            RuleOutcome::Fires(_)
        ));
    }

    #[test]
    fn unknown_setting_is_unknown_never_clear_for_a_foreign_caller() {
        let o = check(&Known::Unknown("absent".into()), Some(false), false, false);
        assert!(matches!(o, RuleOutcome::Unknown(_)));
    }

    #[test]
    fn header_is_read_from_request_parameters() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "requestParameters": {"bucketName": "b", "x-amz-request-payer": "requester"}
        }))
        .unwrap();
        assert!(header_sent(&e));
        assert!(!header_sent(&Event::default()));
    }
}
