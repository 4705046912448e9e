//! Requester Pays: a request to a Requester Pays bucket from anyone but the bucket owner's
//! account must carry `x-amz-request-payer: requester`, else S3 answers 403; anonymous
//! requests are refused outright (S3 user guide, RequesterPaysBuckets and
//! ObjectsinRequesterPaysBuckets: "If x-amz-request-payer is not in the request, Amazon S3
//! returns a 403 error").

use super::fix_input::FixInput;
use super::rule::{RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::{Known, PrincipalKind};
use crate::snapshot::Payer;

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

/// The fix: send the header that accepts the charges (anonymous callers must sign first).
pub fn remediation(f: &FixInput<'_>) -> String {
    if f.principal == "anonymous" {
        "Requester Pays buckets refuse anonymous requests: sign the request with AWS credentials and send x-amz-request-payer: requester (--request-payer requester)".to_owned()
    } else {
        format!(
            "send x-amz-request-payer: requester (aws s3api ... --request-payer requester; SDKs: RequestPayer='requester') when calling {} on {}",
            f.action, f.resource_arn
        )
    }
}

/// The Requester Pays rule as registered in [`super::rules::RULES`]: the bucket's
/// `request-payment.json` against the caller's account and the header it sent.
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "requester_pays"
    }

    fn check(&self, cx: &RuleCx<'_>, _extras: &mut RuleExtras) -> Option<RuleOutcome> {
        let rp = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => match &b.request_payment {
                Known::Known(p) => Known::Known(*p == Payer::Requester),
                Known::Unknown(w) => Known::Unknown(w.clone()),
            },
            Known::Unknown(w) => Known::Unknown(w),
        };
        Some(check(
            &rp,
            cx.same_account,
            cx.request.principal.kind == PrincipalKind::Anonymous,
            cx.call.pays_as_requester(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::request::S3Call;
    use crate::record::Event;

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
            "requestParameters": {"bucketName": "b", "X-Amz-Request-Payer": "requester"}
        }))
        .unwrap();
        assert!(S3Call::from_event(&e).pays_as_requester());
        assert!(!S3Call::default().pays_as_requester());
    }
}
