//! Directory buckets (S3 Express One Zone): the request a `CreateSession` record asks for.
//!
//! Authorization of a directory bucket's object calls happens once, at `CreateSession`
//! (S3 User Guide, s3-express-security-iam.html: "Unlike general purpose buckets, [...] you
//! grant access to directory buckets by using the s3express:CreateSession action"; the
//! session's credentials then carry the object calls). The request is
//! `s3express:CreateSession` on `arn:<partition>:s3express:<region>:<account>:bucket/<name>`,
//! with `s3express:SessionMode` from `x-amz-create-session-mode` (`ReadWrite` or `ReadOnly`),
//! judged like any request against identity policies, the directory bucket's policy
//! (`s3/<name--x-s3>/policy.json`), SCPs, RCPs, boundaries and session policies.
//! Example bucket policies (s3-express-security-iam-example-bucket-policies.html): "The
//! following example bucket policy allows AWS account ID 111122223333 to use the
//! CreateSession API operation. This policy uses the s3express:SessionMode condition key with
//! the ReadOnly value to set a read-only session." and, without the header, "When no session
//! mode is specified, the session will be created with the maximum allowable privilege
//! (attempting ReadWrite first, then ReadOnly if not permitted)": a refused request without
//! the header was refused `ReadWrite` first, which is what is judged (noted as inferred).
//!
//! CloudTrail logs it with `eventSource` `s3express.amazonaws.com` and `requestParameters`
//! `{"bucketName": "...--x-s3", "host": "...", "x-amz-create-session-mode": "ReadWrite"}`
//! (s3-express-log-files.html). Other `s3express` calls are not mapped (their action would be
//! a guess): they stay `unknown` with the reason that says so.

use super::keys::{network_keys, resource_keys, service_keys, time_keys, transport_keys};
use super::principal::{principal, principal_keys};
use super::read::{header, set_opt, Located, Notes};
use super::{BuiltRequest, Part, RequestError, S3Call};
use crate::policy::{Context, Request};
use crate::record::Event;
use crate::snapshot::Snapshot;

/// `eventSource` of directory bucket calls.
pub const S3EXPRESS_SOURCE: &str = "s3express.amazonaws.com";

/// The ARN of a directory bucket (`arn:aws:s3express:us-west-2:111122223333:bucket/name`).
pub fn bucket_arn(partition: &str, region: &str, account: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3express:{region}:{account}:bucket/{bucket}")
}

/// The request of a `CreateSession` record.
pub fn requests(
    event: &Event,
    call: &S3Call<'_>,
    snapshot: &Snapshot,
) -> Result<Vec<BuiltRequest>, RequestError> {
    let name = event
        .event_name
        .as_deref()
        .ok_or(RequestError::NoEventName)?;
    if name != "CreateSession" {
        return Err(RequestError::Unmapped(format!("{S3EXPRESS_SOURCE} {name}")));
    }
    let bucket = call.bucket.as_deref().ok_or(RequestError::NoBucket)?;
    let mut notes = Notes::default();
    let principal = principal(event, snapshot, &mut notes)?;
    // The owner: the snapshot's bucket folder, else the account that received the event.
    let account = snapshot
        .known_bucket_owner(bucket)
        .map(str::to_owned)
        .or_else(|| event.resources.iter().find_map(|r| r.account_id.clone()))
        .or_else(|| event.recipient_account_id.clone());
    let region = call.region.unwrap_or("us-east-1");
    let arn = bucket_arn(
        call.partition,
        region,
        account.as_deref().unwrap_or(""),
        bucket,
    );
    let mut ctx = Context::default();
    network_keys(event, snapshot, &mut ctx, &mut notes);
    transport_keys(event, &principal, &mut ctx, &mut notes);
    time_keys(event, &mut ctx, &mut notes);
    principal_keys(event, &principal, snapshot, &mut ctx, &mut notes);
    service_keys(event, &principal, &mut ctx, &mut notes);
    crate::diagnose::principal_facts::source_keys(event, principal.kind, &mut ctx);
    set_opt(&mut ctx, "aws:UserAgent", event.user_agent.as_deref());
    set_opt(&mut ctx, "aws:RequestedRegion", event.aws_region.as_deref());
    let target = Located {
        bucket: Some(bucket.to_owned()),
        arn: arn.clone(),
        account: account.clone(),
    };
    resource_keys(&target, snapshot, &mut ctx, &mut notes);
    match header(event, "x-amz-create-session-mode") {
        Some(mode) => ctx.set("s3express:SessionMode", mode),
        None => {
            ctx.set("s3express:SessionMode", "ReadWrite");
            notes.infer(
                "s3express:SessionMode: no x-amz-create-session-mode, and S3 tries ReadWrite first",
            );
        }
    }
    Ok(vec![BuiltRequest {
        request: Request {
            principal,
            action: "s3express:CreateSession".to_owned(),
            resource: arn,
            resource_account: account,
            context: ctx,
        },
        part: Part::Main,
        inferred: notes.inferred,
        gaps: notes.gaps,
    }])
}

pub use crate::snapshot::s3express_bucket as bucket_of_arn;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(mode: Option<&str>) -> Event {
        let mut params = serde_json::json!({
            "bucketName": "logs--usw2-az1--x-s3",
            "host": "logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com"
        });
        if let Some(m) = mode {
            params["x-amz-create-session-mode"] = serde_json::json!(m);
        }
        serde_json::from_value(serde_json::json!({
            "eventVersion": "1.09",
            "eventSource": "s3express.amazonaws.com",
            "eventName": "CreateSession",
            "awsRegion": "us-west-2",
            "eventTime": "2026-03-01T10:00:00Z",
            "sourceIPAddress": "203.0.113.9",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ana",
                "accountId": "111122223333", "principalId": "AIDA1"},
            "requestParameters": params,
            "errorCode": "AccessDenied"
        }))
        .unwrap()
    }

    /// "use the CreateSession API operation [...] s3express:SessionMode condition key with the
    /// ReadOnly value": the action, the directory bucket ARN and the session mode.
    #[test]
    fn create_session_is_s3express_create_session_on_the_bucket_arn() {
        let e = event(Some("ReadOnly"));
        let call = S3Call::from_event(&e);
        let r = requests(&e, &call, Snapshot::absent()).unwrap();
        assert_eq!(r[0].request.action, "s3express:CreateSession");
        assert_eq!(
            r[0].request.resource,
            "arn:aws:s3express:us-west-2:111122223333:bucket/logs--usw2-az1--x-s3"
        );
        assert!(matches!(
            r[0].request.context.get("s3express:SessionMode"),
            crate::policy::KeyState::Present(v) if v == ["ReadOnly".to_owned()]
        ));
        assert_eq!(
            bucket_of_arn(&r[0].request.resource),
            Some("logs--usw2-az1--x-s3")
        );
    }

    /// "When no session mode is specified [...] attempting ReadWrite first".
    #[test]
    fn no_header_is_read_write_inferred() {
        let e = event(None);
        let call = S3Call::from_event(&e);
        let r = requests(&e, &call, Snapshot::absent()).unwrap();
        assert!(matches!(
            r[0].request.context.get("s3express:SessionMode"),
            crate::policy::KeyState::Present(v) if v == ["ReadWrite".to_owned()]
        ));
        assert!(r[0]
            .inferred
            .iter()
            .any(|i| i.starts_with("s3express:SessionMode")));
    }
}
